// health and reap proven on the wire: a NAT that forgets idle flows, a server that closes idle
// connections, a peer that stops answering; and connections closed exactly as selected.
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

namespace kt::test {
namespace {

nlohmann::json health_json(const std::vector<std::string>& args, int expect_exit) {
    std::vector<std::string> all{"--json", "health"};
    all.insert(all.end(), args.begin(), args.end());
    const auto r = run_tool(all);
    EXPECT_EQ(r.exit_code, expect_exit) << r.out << r.err;
    return r.out.empty() ? nlohmann::json::object() : nlohmann::json::parse(r.out);
}

// The engines health reads idle times and values with: the BPF socket iterator where it is
// built, and tcp_info with pidfd_getfd. Both must reach the same verdicts.
std::vector<std::string> engines() {
    if (KT_BPF_BUILT) return {"bpf", "pidfd"};
    return {"pidfd"};
}

const nlohmann::json* connection_from_port(const nlohmann::json& doc, std::uint16_t local_port) {
    for (const auto& c : doc["connections"])
        if (c["local"]["port"] == local_port) return &c;
    return nullptr;
}

const nlohmann::json* connection_of_inode(const nlohmann::json& doc, int fd) {
    struct stat st {};
    if (fstat(fd, &st) != 0) return nullptr;
    for (const auto& c : doc["connections"])
        if (c["inode"] == st.st_ino) return &c;
    return nullptr;
}

// Waits up to `ms` for fd to become readable or fail; true if it did.
bool wait_readable(int fd, int ms) {
    pollfd p{fd, POLLIN, 0};
    return poll(&p, 1, ms) == 1;
}

// The finding of health, and the failure it predicts: a connection idle past the NAT's timeout
// is reset at its next send; one whose keepalive beats the timeout is ok and still carries data.
TEST(HealthKernelTest, AConnectionIdlePastTheNatTimeoutIsLikelyDroppedAndItsNextSendFails) {
    KT_REQUIRE_KERNEL_TESTS();
    KT_REQUIRE_NFT();
    ForgetfulNatLab lab(3, ForgetfulNatLab::Forget::reset);
    ASSERT_EQ(lab.error(), "");
    const int l = lab.listen_in_server();
    const int plain = lab.connect_from_client(local_port(l));
    const int kept = lab.connect_from_client(local_port(l));
    ASSERT_GE(plain, 0);
    ASSERT_GE(kept, 0);
    set_keepalive(kept, 1, 1, 3);  // a probe every second beats the 3 s timeout
    ASSERT_EQ(send(plain, "P", 1, 0), 1);
    ASSERT_EQ(send(kept, "K", 1, 0), 1);
    int server_plain = -1, server_kept = -1;
    for (int i = 0; i < 2; ++i) {
        const int a = accept_one(l);
        char c = 0;
        ASSERT_EQ(recv(a, &c, 1, 0), 1);
        (c == 'P' ? server_plain : server_kept) = a;
    }
    sleep(4);  // past the middlebox's 3 s

    std::vector<std::int64_t> idle;
    for (const auto& engine : engines()) {
        SCOPED_TRACE(engine);
        // Only the iterator sees the peer's keepalive probes; without them the verdict is unverified.
        const bool sees_probes = engine == "bpf";
        const auto doc =
            health_json({"--netns", lab.client.name(), "--path", "lab-nat=3s", "--engine", engine}, sees_probes ? 1 : 0);
        EXPECT_EQ(doc["engine"], engine);
        const auto* dropped = connection_from_port(doc, local_port(plain));
        ASSERT_NE(dropped, nullptr) << doc.dump(1);
        EXPECT_EQ((*dropped)["verdict"], sees_probes ? "likely-dropped" : "unverified");
        EXPECT_EQ((*dropped)["middlebox"]["name"], "lab-nat");
        EXPECT_GT((*dropped)["idle_ms"], 3000);
        idle.push_back((*dropped)["idle_ms"].get<std::int64_t>());
        EXPECT_EQ(connection_from_port(doc, local_port(kept)), nullptr) << "the keepalive connection is ok";
        EXPECT_GE(doc["totals"]["ok"], 1);
    }
    // The two reads are moments apart: the same idle time within that.
    if (idle.size() == 2) {
        EXPECT_LT(std::abs(idle[1] - idle[0]), 1000);
    }

    // The prediction holds: the middlebox forgot the flow and resets the next send.
    const long invalid_before = lab.invalid_packets();
    ASSERT_EQ(send(plain, "x", 1, 0), 1);
    ASSERT_TRUE(wait_readable(plain, 3000));
    char c = 0;
    errno = 0;
    EXPECT_EQ(recv(plain, &c, 1, 0), -1);
    EXPECT_EQ(errno, ECONNRESET);
    EXPECT_GT(lab.invalid_packets(), invalid_before);
    // The kept connection still carries data.
    ASSERT_EQ(send(kept, "y", 1, 0), 1);
    ASSERT_TRUE(wait_readable(server_kept, 3000));
    EXPECT_EQ(recv(server_kept, &c, 1, 0), 1);
    EXPECT_EQ(c, 'y');
    for (int fd : {l, plain, kept, server_plain, server_kept}) close(fd);
}

// The accepted side of a connection whose client probes every second: tcp_info's receive times
// stand still (the kernel drops each probe as out of window), yet the NAT keeps the flow. It is
// never likely-dropped nor reaped as such; the silent connection beside it is, where the probes
// can be seen (the BPF iterator), and is unverified where they cannot.
TEST(HealthKernelTest, AConnectionThePeerKeepsAliveIsNotLikelyDroppedOnEitherSide) {
    KT_REQUIRE_KERNEL_TESTS();
    KT_REQUIRE_NFT();
    ForgetfulNatLab lab(3, ForgetfulNatLab::Forget::drop);
    ASSERT_EQ(lab.error(), "");
    const int l = lab.listen_in_server();
    const int silent = lab.connect_from_client(local_port(l));
    const int probing = lab.connect_from_client(local_port(l));
    ASSERT_GE(silent, 0);
    ASSERT_GE(probing, 0);
    set_keepalive(probing, 1, 1, 3);
    ASSERT_EQ(send(silent, "S", 1, 0), 1);
    ASSERT_EQ(send(probing, "K", 1, 0), 1);
    int server_silent = -1, server_probing = -1;
    for (int i = 0; i < 2; ++i) {
        const int a = accept_one(l);
        char c = 0;
        ASSERT_EQ(recv(a, &c, 1, 0), 1);
        (c == 'S' ? server_silent : server_probing) = a;
    }
    sleep(5);  // past the NAT's 3 s; the prober has sent about four probes

    for (const auto& engine : engines()) {
        SCOPED_TRACE(engine);
        const bool sees_probes = engine == "bpf";
        const auto server = health_json({"--netns", lab.server.name(), "--path", "lab-nat=3s", "--engine", engine},
                                        sees_probes ? 1 : 0);
        const auto* kept = connection_of_inode(server, server_probing);
        if (sees_probes) {
            EXPECT_EQ(kept, nullptr) << "ok, so not listed: " << server.dump(1);
            const auto* dropped = connection_of_inode(server, server_silent);
            ASSERT_NE(dropped, nullptr) << server.dump(1);
            EXPECT_EQ((*dropped)["verdict"], "likely-dropped");
            EXPECT_EQ((*dropped)["tcp_info"]["peer_probes_visible"], true);
        } else {
            ASSERT_NE(kept, nullptr) << server.dump(1);
            EXPECT_EQ((*kept)["verdict"], "unverified");
            EXPECT_EQ((*kept)["tcp_info"]["peer_probes_visible"], false);
        }
        // The client's side: its own probes are answered.
        const auto client = health_json({"--netns", lab.client.name(), "--path", "lab-nat=3s", "--engine", engine},
                                        sees_probes ? 1 : 0);
        EXPECT_EQ(connection_from_port(client, local_port(probing)), nullptr) << client.dump(1);

        // reap by that verdict leaves the kept connection alone.
        const auto reap = run_tool({"--json", "reap", "--netns", lab.server.name(), "--path", "lab-nat=3s", "--engine",
                                    engine, "--verdict", "likely-dropped", "--dry-run"});
        ASSERT_EQ(reap.exit_code, 0) << reap.out << reap.err;
        const auto picked = nlohmann::json::parse(reap.out);
        EXPECT_EQ(connection_of_inode(picked, server_probing), nullptr) << picked.dump(1);
        EXPECT_EQ(picked["connections"].size(), sees_probes ? 1u : 0u) << picked.dump(1);
    }
    // The prediction holds: the probed connection still carries data both ways.
    ASSERT_EQ(send(probing, "y", 1, 0), 1);
    ASSERT_TRUE(wait_readable(server_probing, 3000));
    char c = 0;
    EXPECT_EQ(recv(server_probing, &c, 1, 0), 1);
    for (int fd : {l, silent, probing, server_silent, server_probing}) close(fd);
}

// health --prometheus writes the accepted connections per listening port, as check does.
TEST(HealthKernelTest, PrometheusOutputHasTheAcceptedConnectionsPerListeningPort) {
    KT_REQUIRE_KERNEL_TESTS();
    TestNetns ns;
    ASSERT_TRUE(ns.ok());
    int l = -1, c1 = -1, c2 = -1;
    ns.run_inside([&] {
        l = listen_on("127.0.0.1");
        c1 = connect_to("127.0.0.1", local_port(l));
        c2 = connect_to("127.0.0.1", local_port(l));
    });
    const int a1 = accept_one(l), a2 = accept_one(l);
    const auto r = run_tool({"health", "--netns", ns.name(), "--prometheus"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    const std::string sample = "keepalive_tune_port_connections{netns=\"" + ns.name() + "\",port=\"" +
                               std::to_string(local_port(l)) + "\",state=\"established\"} 2\n";
    EXPECT_NE(r.out.find(sample), std::string::npos) << r.out;
    for (int fd : {l, c1, c2, a1, a2}) close(fd);
}

// No --path given: a namespace whose own conntrack tracks flows has it on every path, with
// the established timeout read inside that namespace.
TEST(HealthKernelTest, TheNamespacesOwnConntrackIsOnEveryPath) {
    KT_REQUIRE_KERNEL_TESTS();
    KT_REQUIRE_NFT();
    TestNetns ns;
    ASSERT_TRUE(ns.ok());
    ASSERT_EQ(ns.exec("nft add table inet kt_ct && ip netns exec " + ns.name() +
                      " nft add chain inet kt_ct in '{ type filter hook input priority 0; ct state established accept; }'"
                      " && echo ok"),
              "ok\n");
    ns.exec("sysctl -qw net.netfilter.nf_conntrack_tcp_timeout_established=2");
    int l = -1, c = -1, live = -1;
    ns.run_inside([&] {
        l = listen_on("127.0.0.1");
        c = connect_to("127.0.0.1", local_port(l));
        live = connect_to("127.0.0.1", local_port(l));
    });
    const int a = accept_one(l), a_live = accept_one(l);
    sleep(3);
    // conntrack is seen on the path while it counts a flow: `live` refreshes its entry now, as
    // the idle one's expires (nf_conntrack_count is read at one instant).
    ASSERT_EQ(send(live, "x", 1, 0), 1);
    usleep(100 * 1000);
    // The default engine: the BPF iterator where it is built (it sees that the peer sends no
    // probes), else tcp_info alone, which cannot tell (unverified, exit 0).
    const bool sees_probes = KT_BPF_BUILT;
    const auto doc = health_json({"--netns", ns.name()}, sees_probes ? 1 : 0);
    ASSERT_EQ(doc["netns"].size(), 1u);
    EXPECT_EQ(doc["engine"], sees_probes ? "bpf" : "pidfd");
    EXPECT_EQ(doc["netns"][0]["conntrack"]["name"], "host-conntrack");
    EXPECT_EQ(doc["netns"][0]["conntrack"]["idle_timeout_ms"], 2000);
    const auto* d = connection_from_port(doc, local_port(c));
    ASSERT_NE(d, nullptr) << doc.dump(1);
    EXPECT_EQ((*d)["verdict"], sees_probes ? "likely-dropped" : "unverified");
    EXPECT_EQ((*d)["middlebox"]["name"], "host-conntrack");
    for (int fd : {l, c, a, live, a_live}) close(fd);
}

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

// Unacknowledged data toward a peer that stopped answering: retransmitting, and when the
// kernel will give up: the user timeout where one is set, the tcp_retries2 bound otherwise.
TEST(HealthKernelTest, DataToASilentPeerIsRetransmittingWithTheGiveUpTime) {
    KT_REQUIRE_KERNEL_TESTS();
    KT_REQUIRE_NFT();
    ForgetfulNatLab lab(60, ForgetfulNatLab::Forget::drop);
    ASSERT_EQ(lab.error(), "");
    const int l = lab.listen_in_server();
    const int bounded = lab.connect_from_client(local_port(l));
    const int unbounded = lab.connect_from_client(local_port(l));
    set_int_option(bounded, IPPROTO_TCP, TCP_USER_TIMEOUT, 8000);
    const int a1 = accept_one(l), a2 = accept_one(l);
    ASSERT_TRUE(lab.silence_server());
    ASSERT_EQ(send(bounded, "data", 4, 0), 4);
    ASSERT_EQ(send(unbounded, "data", 4, 0), 4);
    sleep(2);  // a few retransmissions

    for (const auto& engine : engines()) {
        SCOPED_TRACE(engine);
        const auto doc = health_json({"--netns", lab.client.name(), "--engine", engine}, 1);
        const auto* b = connection_from_port(doc, local_port(bounded));
        const auto* u = connection_from_port(doc, local_port(unbounded));
        ASSERT_NE(b, nullptr) << doc.dump(1);
        ASSERT_NE(u, nullptr) << doc.dump(1);
        EXPECT_EQ((*b)["verdict"], "retransmitting");
        EXPECT_EQ((*b)["gives_up_by"], "user-timeout");
        EXPECT_EQ((*b)["gives_up_after_ms"], 8000);
        EXPECT_GT((*b)["deadline_ms"], 4000);
        EXPECT_LT((*b)["deadline_ms"], 7000);
        EXPECT_EQ((*b)["exact"]["user_timeout_ms"], 8000);
        EXPECT_EQ((*u)["verdict"], "retransmitting");
        EXPECT_EQ((*u)["gives_up_by"], "tcp-retries2");
        EXPECT_EQ((*u)["gives_up_after_ms"], 924600);
        EXPECT_GE((*u)["tcp_info"]["retransmits"], 1);
    }
    for (int fd : {l, bounded, unbounded, a1, a2}) close(fd);
}

// An idle connection whose keepalive probes go unanswered: probing, n of count, and when it
// will be declared dead.
TEST(HealthKernelTest, UnansweredKeepaliveProbesAreProbing) {
    KT_REQUIRE_KERNEL_TESTS();
    KT_REQUIRE_NFT();
    ForgetfulNatLab lab(60, ForgetfulNatLab::Forget::drop);
    ASSERT_EQ(lab.error(), "");
    const int l = lab.listen_in_server();
    const int c = lab.connect_from_client(local_port(l));
    set_keepalive(c, 1, 1, 8);
    const int a = accept_one(l);
    ASSERT_TRUE(lab.silence_server());
    usleep(2600 * 1000);  // probes at 1 s and 2 s, both unanswered

    for (const auto& engine : engines()) {
        SCOPED_TRACE(engine);
        // probing is not yet a failure
        const auto doc = health_json({"--netns", lab.client.name(), "--engine", engine}, 0);
        const auto* p = connection_from_port(doc, local_port(c));
        ASSERT_NE(p, nullptr) << doc.dump(1);
        EXPECT_EQ((*p)["verdict"], "probing");
        // The iterator gives every connection its own values, owner or not.
        if (engine == "bpf") {
            EXPECT_EQ((*p)["exact"]["count"], 8);
        }
        EXPECT_NE((*p)["reason"].get<std::string>().find("of 8 keepalive probes unanswered"), std::string::npos) << (*p)["reason"];
        EXPECT_GT((*p)["deadline_ms"], 3000);
        EXPECT_LT((*p)["deadline_ms"], 8000);
    }
    for (int fd : {l, c, a}) close(fd);
}

}  // namespace
}  // namespace kt::test
