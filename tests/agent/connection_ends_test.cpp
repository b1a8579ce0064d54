// The connection-end counters (trace --install-counters, or the agent's policy): pinned
// programs that count every end by namespace, reason and destination, read by check and by the
// agent's /metrics. They are the host's, so these tests run one at a time with the agent's.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "support/agent_process.hpp"
#include "support/nat_lab.hpp"
#include "support/netns.hpp"
#include "support/run_binary.hpp"
#include "support/snippet_check.hpp"
#include "support/sockets.hpp"
#include "support/temp_dir.hpp"
#include "support/test_cgroup.hpp"

namespace kt::test {
namespace {

using namespace std::chrono_literals;

std::string read_file(const std::string& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

// The value of `series{...reason="REASON"...}` in Prometheus text (one namespace chosen), or -1.
long series_value(const std::string& text, const std::string& series, const std::string& reason) {
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);)
        if (line.starts_with(series + "{") && line.find("reason=\"" + reason + "\"") != std::string::npos)
            return std::stol(line.substr(line.rfind(' ') + 1));
    return -1;
}

// `check --netns NS --format prometheus` into a file; its text.
std::string check_series(const TempDir& dir, const std::string& ns, const std::string& name) {
    const std::string file = dir.path() + "/" + name;
    const auto r = run_tool({"check", "--netns", ns, "--format", "prometheus", "--output", file});
    EXPECT_LE(r.exit_code, 2) << r.err;
    return read_file(file);
}

// Unpins the counters at the end of a test that installed them, whatever it asserted.
struct CountersGuard {
    bool installed_here = false;
    ~CountersGuard() {
        if (installed_here) run_tool({"trace", "--remove-counters"});
    }
};

TEST(ConnectionEndCountersTest, EachKindOfEndBetweenTwoChecksIsCountedAndPromtoolAcceptsThem) {
    KT_REQUIRE_ENFORCE();
    KT_REQUIRE_NFT();
    struct stat st {};
    if (stat("/sys/fs/bpf/keepalive-tune/connection-ends", &st) == 0)
        GTEST_SKIP() << "this host's connection-end counters are installed already; the test leaves them alone";
    CountersGuard guard;
    const auto install = run_tool({"trace", "--install-counters"});
    ASSERT_EQ(install.exit_code, 0) << install.err;
    guard.installed_here = true;
    EXPECT_NE(install.out.find("connection-end counters installed"), std::string::npos) << install.out;
    const auto again = run_tool({"--json", "trace", "--install-counters"});
    EXPECT_EQ(again.exit_code, 0) << again.err;
    const auto again_json = nlohmann::json::parse(again.out);
    EXPECT_EQ(again_json["schema"], "keepalive-tune.trace-counters.v1");
    EXPECT_EQ(again_json["changed"], false);

    ForgetfulNatLab lab(600, ForgetfulNatLab::Forget::drop);
    ASSERT_EQ(lab.error(), "");
    const int listener = lab.listen_in_server();
    ASSERT_GE(listener, 0);
    std::vector<int> fds{listener};
    std::vector<int> keepalive, retransmit;
    for (int i = 0; i < 4; ++i) {
        const int c = lab.connect_from_client(local_port(listener));
        ASSERT_GE(c, 0);
        fds.push_back(c);
        fds.push_back(accept_one(listener));
        (i < 2 ? keepalive : retransmit).push_back(c);
    }
    TempDir dir;
    const std::string before = check_series(dir, lab.client.name(), "before.prom");
    ASSERT_NE(series_value(before, "keepalive_tune_connection_ends_total", "keepalive-timeout"), -1) << before;

    // Two keepalive deaths and two retransmission deaths behind the silenced server; two
    // refused connects (a reset sent and one received each) inside the client's namespace.
    for (int c : keepalive) set_keepalive(c, 1, 1, 2);
    for (int c : retransmit) set_int_option(c, IPPROTO_TCP, TCP_USER_TIMEOUT, 2000);
    ASSERT_TRUE(lab.silence_server());
    for (int c : retransmit) ASSERT_EQ(write(c, "lost", 4), 4);
    lab.client.run_inside([] {
        for (int i = 0; i < 2; ++i) try_connect("127.0.0.1", 9);
    });
    // Keepalive ends after 1 s idle and 2 probes 1 s apart, the user timeout after 2 s: both
    // well within 15 s.
    std::string after;
    for (int i = 0; i < 30; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
        after = check_series(dir, lab.client.name(), "after.prom");
        const auto delta = [&](const char* reason) {
            return series_value(after, "keepalive_tune_connection_ends_total", reason) -
                   series_value(before, "keepalive_tune_connection_ends_total", reason);
        };
        if (delta("keepalive-timeout") >= 2 && delta("retransmit-timeout") >= 2) break;
    }
    const auto delta = [&](const char* reason) {
        return series_value(after, "keepalive_tune_connection_ends_total", reason) -
               series_value(before, "keepalive_tune_connection_ends_total", reason);
    };
    EXPECT_EQ(delta("keepalive-timeout"), 2) << after;
    EXPECT_EQ(delta("retransmit-timeout"), 2) << after;
    EXPECT_EQ(delta("reset-received"), 2) << after;
    // The two refused connects, and the reset keepalive sends as it gives up, on kernels that
    // trace it.
    EXPECT_GE(delta("reset-sent"), 2) << after;
    EXPECT_EQ(delta("error"), 0) << after;
    const std::string server = std::string(ForgetfulNatLab::k_server) + ":" + std::to_string(local_port(listener));
    EXPECT_NE(after.find("keepalive_tune_connection_ends_by_destination_total{netns=\"" + lab.client.name() +
                         "\",reason=\"keepalive-timeout\",destination=\"" + server + "\"}"),
              std::string::npos)
        << after;
    if (access("/usr/bin/promtool", X_OK) == 0) {
        const auto lint = run_program({"/bin/sh", "-c", "/usr/bin/promtool check metrics < " + dir.path() + "/after.prom"});
        EXPECT_EQ(lint.exit_code, 0) << lint.out << lint.err;
    }
    const auto json = run_tool({"--json", "check", "--netns", lab.client.name()});
    const auto ends = nlohmann::json::parse(json.out)["connection_ends"];
    ASSERT_TRUE(ends.is_object()) << json.out;
    EXPECT_EQ(ends["netns"][0]["netns"], lab.client.name());
    EXPECT_GE(ends["netns"][0]["by_reason"]["keepalive-timeout"].get<int>(), 2);

    // Unprivileged: refused with the reason, nothing changed.
    const auto nobody = run_program(as_unprivileged({tool_path(), "trace", "--remove-counters"}));
    EXPECT_EQ(nobody.exit_code, 2) << nobody.err;
    EXPECT_NE(nobody.err.find("keepalive-tune: error: "), std::string::npos) << nobody.err;
    EXPECT_EQ(stat("/sys/fs/bpf/keepalive-tune/connection-ends/counts", &st), 0);

    const auto remove = run_tool({"trace", "--remove-counters"});
    EXPECT_EQ(remove.exit_code, 0) << remove.err;
    EXPECT_NE(remove.out.find("connection-end counters removed"), std::string::npos) << remove.out;
    guard.installed_here = false;
    EXPECT_NE(stat("/sys/fs/bpf/keepalive-tune/connection-ends", &st), 0);
    const auto none = run_tool({"trace", "--remove-counters"});
    EXPECT_EQ(none.exit_code, 0) << none.err;
    EXPECT_NE(none.out.find("no connection-end counters were installed"), std::string::npos) << none.out;
    // Without counters, check reports none (null in JSON; no series).
    const auto without = run_tool({"--json", "check", "--netns", lab.client.name()});
    EXPECT_TRUE(nlohmann::json::parse(without.out)["connection_ends"].is_null()) << without.out;
    for (int fd : fds) close(fd);
}


// A loopback port nobody listens on now.
std::uint16_t free_port() {
    const int fd = listen_on("127.0.0.1");
    const auto port = local_port(fd);
    close(fd);
    return port;
}

TEST(ConnectionEndCountersTest, TheAgentInstallsThemWhenItsPolicyAsksAndItsMetricsCarryThem) {
    KT_REQUIRE_ENFORCE();
    struct stat st {};
    if (stat("/sys/fs/bpf/keepalive-tune/connection-ends", &st) == 0)
        GTEST_SKIP() << "this host's connection-end counters are installed already; the test leaves them alone";
    CountersGuard guard;
    guard.installed_here = true;  // by the agent, below
    TempDir d;
    const auto profile = d.write_profile("t", 45, 9, 3);
    const auto policy = d.write("policy.yaml", "schema: keepalive-tune.policy.v1\nrules:\n  - name: svc\n    profile: " + profile +
                                                   "\n    match:\n      cgroup: \"kt-counters-" + std::to_string(getpid()) +
                                                   "-*\"\nhealth:\n  every: 1s\n  connection_ends: true\n");
    const auto port = free_port();
    TestNetns ns;
    ASSERT_TRUE(ns.ok());
    AgentProcess agent({"agent", "--policy", policy, "--metrics-listen", "127.0.0.1:" + std::to_string(port), "--state-dir",
                        d.path() + "/state"});
    ASSERT_TRUE(agent.wait_for_log("keepalive-tune agent: started", 10s)) << agent.log();
    EXPECT_NE(agent.log().find("connection-end counters installed"), std::string::npos) << agent.log();
    EXPECT_EQ(stat("/sys/fs/bpf/keepalive-tune/connection-ends/counts", &st), 0);
    const std::string series = "keepalive_tune_connection_ends_total{netns=\"" + ns.name() + "\",reason=\"reset-received\"}";
    // The value in the agent's latest health scan, or -1 before the first one.
    auto scraped = [&] {
        const auto body = http_get(port, "/metrics").body;
        const auto at = body.find(series);
        return at == std::string::npos ? -1L : std::stol(body.substr(at + series.size()));
    };
    long before = -1;
    for (int i = 0; i < 100 && before < 0; ++i) {  // at most 10 s
        before = scraped();
        if (before < 0) std::this_thread::sleep_for(100ms);
    }
    ASSERT_GE(before, 0) << http_get(port, "/metrics").body;
    ns.run_inside([] { try_connect("127.0.0.1", 9); });
    long after = before;
    for (int i = 0; i < 100 && after == before; ++i) {  // at most 10 s: a scan a second
        std::this_thread::sleep_for(100ms);
        after = scraped();
    }
    EXPECT_EQ(after - before, 1) << http_get(port, "/metrics").body;
    // They stay when the agent stops, as its pins do.
    EXPECT_EQ(agent.stop(SIGTERM, 5s), 0);
    EXPECT_EQ(stat("/sys/fs/bpf/keepalive-tune/connection-ends/counts", &st), 0);
}

}  // namespace
}  // namespace kt::test
