// Peer-closed connections proven on the wire: a server that closes idle connections while a pool
// keeps them, health naming the owner and the peer's idle timeout, reap closing exactly those
// (SOCK_DESTROY or shutdown on the owner's descriptor), and check's warning and series.
#include <errno.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>

#include <nlohmann/json.hpp>

#include "support/nat_lab.hpp"
#include "support/netns.hpp"
#include "support/run_binary.hpp"
#include "support/sockets.hpp"
#include "support/temp_dir.hpp"

#include "kernel/health_kernel_support.hpp"

namespace kt::test {
namespace {

// A client process holding five connections, which reads nothing until told to and then
// reports, per connection, what a non-blocking recv() and send() return.
class PoolOwner {
public:
    PoolOwner(const TestNetns& ns, std::uint16_t port) {
        if (pipe(m_command) != 0 || pipe(m_results) != 0) return;
        m_child = std::make_unique<ChildProcess>([&, port](int ready) {
            std::vector<int> fds;
            ns.run_inside([&] {
                for (int i = 0; i < 5; ++i) fds.push_back(connect_to("127.0.0.1", port));
            });
            for (int fd : fds)
                if (send(fd, "x", 1, 0) != 1) _exit(1);
            const int one = 1;
            if (write(ready, &one, sizeof one) != sizeof one) _exit(1);
            char cmd = 0;
            if (read(m_command[0], &cmd, 1) != 1) _exit(1);
            for (int fd : fds) {
                char c;
                const ssize_t got = recv(fd, &c, 1, MSG_DONTWAIT);
                int result[2] = {got < 0 ? errno : static_cast<int>(got), 0};
                const ssize_t sent = send(fd, "y", 1, MSG_DONTWAIT | MSG_NOSIGNAL);
                result[1] = sent < 0 ? errno : 0;
                if (write(m_results[1], result, sizeof result) != sizeof result) _exit(1);
            }
            for (int i = 0; i < 60; ++i) sleep(1);
            _exit(0);
        });
        m_ok = m_child->wait_ready() == 1;
    }
    ~PoolOwner() {
        m_child.reset();
        for (int fd : {m_command[0], m_command[1], m_results[0], m_results[1]})
            if (fd >= 0) close(fd);
    }
    bool ok() const { return m_ok; }
    pid_t pid() const { return m_child->pid(); }
    // recv() result (bytes, or errno) and send() errno of each connection, in connect order.
    std::vector<std::pair<int, int>> report() {
        std::vector<std::pair<int, int>> out;
        if (write(m_command[1], "r", 1) != 1) return out;
        for (int i = 0; i < 5 && wait_readable(m_results[0], 3000); ++i) {
            int r[2];
            if (read(m_results[0], r, sizeof r) != sizeof r) break;
            out.emplace_back(r[0], r[1]);
        }
        return out;
    }

private:
    int m_command[2] = {-1, -1}, m_results[2] = {-1, -1};
    std::unique_ptr<ChildProcess> m_child;
    bool m_ok = false;
};

// A server that closes idle connections after about a second: the first three it accepted.
struct ClosingServer {
    explicit ClosingServer(const TestNetns& ns) {
        ns.run_inside([&] { listener = listen_on("127.0.0.1"); });
    }
    void accept_and_close_three() {
        for (int i = 0; i < 5; ++i) {
            accepted.push_back(accept_one(listener));
            char c;
            (void)recv(accepted.back(), &c, 1, 0);
        }
        sleep(1);
        for (int i = 0; i < 3; ++i) close(accepted[static_cast<std::size_t>(i)]);
        usleep(300 * 1000);
    }
    ~ClosingServer() {
        for (std::size_t i = 3; i < accepted.size(); ++i) close(accepted[i]);
        close(listener);
    }
    int listener = -1;
    std::vector<int> accepted;
};

TEST(HealthKernelTest, PeerClosedConnectionsNameTheirOwnerAndThePeersIdleTimeout) {
    KT_REQUIRE_KERNEL_TESTS();
    TestNetns ns;
    ASSERT_TRUE(ns.ok());
    ClosingServer server(ns);
    PoolOwner pool(ns, local_port(server.listener));
    ASSERT_TRUE(pool.ok());
    server.accept_and_close_three();

    const auto doc = health_json({"--netns", ns.name()}, 1);
    EXPECT_EQ(doc["totals"]["peer-closed"], 3) << doc.dump(1);
    const std::string destination = "127.0.0.1:" + std::to_string(local_port(server.listener));
    for (const auto& c : doc["connections"]) {
        if (c["verdict"] != "peer-closed") continue;
        EXPECT_EQ(c["process"]["pid"], pool.pid());
        EXPECT_EQ(c["state"], "close-wait");
        EXPECT_EQ(c["peer"]["port"], local_port(server.listener));
    }
    ASSERT_EQ(doc["advice"].size(), 1u) << doc["advice"].dump(1);
    const auto& advice = doc["advice"][0];
    EXPECT_EQ(advice["pid"], pool.pid());
    EXPECT_EQ(advice["destination"], destination);
    EXPECT_EQ(advice["connections"], 3);
    // The server closed after about 1 s of idleness: that is what the estimate says.
    EXPECT_GE(advice["idle_before_close_min_ms"], 900);
    EXPECT_LE(advice["idle_before_close_max_ms"], 1600);
    EXPECT_NE(advice["text"].get<std::string>().find("lower the pool's idle timeout below"), std::string::npos);
    bool owner_listed = false;
    for (const auto& g : doc["by_owner"]) owner_listed = owner_listed || (g["pid"] == pool.pid() && g["counts"]["peer-closed"] == 3);
    EXPECT_TRUE(owner_listed) << doc["by_owner"].dump(1);
}

void expect_reap_closes_exactly_the_peer_closed(const std::string& method) {
    TestNetns ns;
    ASSERT_TRUE(ns.ok());
    ClosingServer server(ns);
    PoolOwner pool(ns, local_port(server.listener));
    ASSERT_TRUE(pool.ok());
    server.accept_and_close_three();

    // Bad input and a dry run close nothing.
    for (const auto& bad : std::vector<std::vector<std::string>>{{"reap", "--netns", ns.name()},
                                                                 {"reap", "--netns", ns.name(), "--verdict", "peer-closd"},
                                                                 {"reap", "--netns", ns.name(), "--idle-over", "soon"},
                                                                 {"reap", "--netns", ns.name(), "--verdict", "peer-closed", "--method", "kill"}}) {
        const auto r = run_tool(bad);
        EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
        EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    }
    // The server's own closed sockets are orphans (FIN_WAIT2): their owner closed them and the
    // kernel finishes them; reap does not select them, so nothing is closed or reported failed.
    if (method == "shutdown") {
        const auto orphans = run_tool({"--json", "reap", "--netns", ns.name(), "--state", "fin-wait-2", "--method", "shutdown"});
        EXPECT_EQ(orphans.exit_code, 0) << orphans.out << orphans.err;
        const auto o = nlohmann::json::parse(orphans.out);
        EXPECT_EQ(o["summary"]["failed"], 0);
        EXPECT_TRUE(o["connections"].empty()) << o["connections"];
    }
    // A selection of every live connection in the namespace (7: the pool's 5 and the server's 2
    // kept; its 3 orphans are closing) is refused unless --all says so; --limit caps what is closed.
    for (const auto& all : std::vector<std::vector<std::string>>{{"--idle-over", "0"}, {"--port", "1-65535"}}) {
        std::vector<std::string> args{"reap", "--netns", ns.name(), "--dry-run"};
        args.insert(args.end(), all.begin(), all.end());
        const auto refused = run_tool(args);
        EXPECT_EQ(refused.exit_code, 2) << refused.out << refused.err;
        EXPECT_EQ(refused.out, "");
        EXPECT_NE(refused.err.find("the selection matches every connection of the namespace (7 "), std::string::npos)
            << refused.err;
        args.push_back("--all");
        const auto allowed = run_tool(args);
        EXPECT_EQ(allowed.exit_code, 0) << allowed.err;
        // 7, and the 3 orphans where the selector takes closing states too (--port)
        EXPECT_TRUE(allowed.out.find("7 connection(s) would be closed") != std::string::npos ||
                    allowed.out.find("10 connection(s) would be closed") != std::string::npos)
            << allowed.out;
    }
    const auto capped = run_tool({"--json", "reap", "--netns", ns.name(), "--verdict", "peer-closed", "--limit", "2", "--dry-run"});
    ASSERT_EQ(capped.exit_code, 0) << capped.err;
    const auto cap = nlohmann::json::parse(capped.out);
    EXPECT_EQ(cap["connections"].size(), 2u);
    EXPECT_EQ(cap["summary"]["selected"], 3);
    EXPECT_EQ(cap["summary"]["left_by_limit"], 1);

    const auto dry = run_tool({"reap", "--netns", ns.name(), "--verdict", "peer-closed", "--method", method, "--dry-run"});
    EXPECT_EQ(dry.exit_code, 0) << dry.err;
    EXPECT_NE(dry.out.find("3 connection(s) would be closed (dry run, nothing closed)"), std::string::npos) << dry.out;
    EXPECT_EQ(health_json({"--netns", ns.name()}, 1)["totals"]["peer-closed"], 3);

    auto r = run_tool({"--json", "reap", "--netns", ns.name(), "--verdict", "peer-closed", "--method", method});
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    const auto doc = nlohmann::json::parse(r.out);
    EXPECT_EQ(doc["summary"]["closed"], 3);
    for (const auto& c : doc["connections"]) {
        EXPECT_EQ(c["result"], "closed");
        EXPECT_EQ(c["method"], method == "shutdown" ? "shutdown" : "SOCK_DESTROY");
    }
    usleep(200 * 1000);
    const auto after = health_json({"--netns", ns.name()}, 0);
    EXPECT_EQ(after["totals"]["peer-closed"], 0) << after.dump(1);

    // The owner's next read sees it: an abort (SOCK_DESTROY) or our own shutdown; the two
    // connections the server kept are untouched (nothing to read, still writable).
    const auto seen = pool.report();
    ASSERT_EQ(seen.size(), 5u);
    for (std::size_t i = 0; i < 3; ++i) {
        if (method == "shutdown") {
            EXPECT_EQ(seen[i].first, 0) << i;         // end of stream
            EXPECT_EQ(seen[i].second, EPIPE) << i;    // no more sending
        } else {
            // The peer's FIN was read before the abort: recv() says end of stream, and the
            // abort shows on the next send.
            EXPECT_EQ(seen[i].first, 0) << i;
            EXPECT_TRUE(seen[i].second == ECONNABORTED || seen[i].second == EPIPE) << i << ": " << seen[i].second;
        }
    }
    for (std::size_t i = 3; i < 5; ++i) {
        EXPECT_EQ(seen[i].first, EAGAIN) << i;
        EXPECT_EQ(seen[i].second, 0) << i;
    }
}

TEST(HealthKernelTest, ReapClosesExactlyThePeerClosedConnectionsWithSockDestroy) {
    KT_REQUIRE_KERNEL_TESTS();
    expect_reap_closes_exactly_the_peer_closed("destroy");
}

TEST(HealthKernelTest, ReapFallsBackToShutdownOnTheOwnersDescriptor) {
    KT_REQUIRE_KERNEL_TESTS();
    expect_reap_closes_exactly_the_peer_closed("shutdown");
}

// check: thresholds on the health counts, with perfdata, and the Prometheus series for
// connections by verdict, per destination and per listening port, clean by promtool.
TEST(HealthKernelTest, CheckWarnsOnPeerClosedConnectionsAndWritesTheirSeries) {
    KT_REQUIRE_KERNEL_TESTS();
    if (access("/usr/bin/promtool", X_OK) != 0) GTEST_SKIP() << "needs promtool (install-deps --tests)";
    TestNetns ns;
    ASSERT_TRUE(ns.ok());
    ClosingServer server(ns);
    PoolOwner pool(ns, local_port(server.listener));
    ASSERT_TRUE(pool.ok());
    server.accept_and_close_three();
    const std::string port = std::to_string(local_port(server.listener));

    auto ok = run_tool({"check", "--netns", ns.name(), "--peer-closed-warn", "3"});
    EXPECT_EQ(ok.exit_code, 0) << ok.out << ok.err;
    auto warn = run_tool({"check", "--netns", ns.name(), "--peer-closed-warn", "2", "--peer-closed-crit", "5"});
    EXPECT_EQ(warn.exit_code, 1) << warn.out << warn.err;
    EXPECT_TRUE(warn.out.starts_with("KEEPALIVE-TUNE WARNING - 3 connection(s) closed by the peer and still held (CLOSE_WAIT) (warn 2)"))
        << warn.out;
    EXPECT_NE(warn.out.find(" peer_closed=3;2;5;0; "), std::string::npos) << warn.out;

    TempDir dir;
    const std::string file = dir.path() + "/kt.prom";
    auto prom = run_tool({"check", "--netns", ns.name(), "--format", "prometheus", "--output", file});
    EXPECT_EQ(prom.exit_code, 0) << prom.err;
    const auto text = shell("cat " + file);
    const std::string label = "netns=\"" + ns.name() + "\"";
    EXPECT_NE(text.find("keepalive_tune_connections{" + label + ",verdict=\"peer-closed\"} 3\n"), std::string::npos) << text;
    EXPECT_NE(text.find("keepalive_tune_destination_connections{" + label + ",destination=\"127.0.0.1:" + port + "\",verdict=\"peer-closed\"} 3\n"),
              std::string::npos)
        << text;
    // The server's side: two established, three it closed (FIN_WAIT2 until the pool closes).
    EXPECT_NE(text.find("keepalive_tune_port_connections{" + label + ",port=\"" + port + "\",state=\"established\"} 2\n"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("keepalive_tune_port_connections{" + label + ",port=\"" + port + "\",state=\"fin-wait-2\"} 3\n"),
              std::string::npos)
        << text;
    auto lint = run_program({"/bin/sh", "-c", "/usr/bin/promtool check metrics < " + file});
    EXPECT_EQ(lint.exit_code, 0) << lint.out << lint.err;
}

}  // namespace
}  // namespace kt::test
