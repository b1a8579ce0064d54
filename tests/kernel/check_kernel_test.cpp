// check against the kernel: port pressure that turns WARNING then CRITICAL before connect()
// runs out of ports, overflow growth between runs, compliance, and the Prometheus file read
// by promtool and by a real node_exporter.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <thread>

#include "support/netns.hpp"
#include "support/run_binary.hpp"
#include "support/sockets.hpp"
#include "support/target_process.hpp"
#include "support/temp_dir.hpp"

namespace kt::test {
namespace {

// The client closes first, so its side keeps the TIME_WAIT and the local port.
void client_closes(int listener, std::uint16_t port, int n) {
    for (int i = 0; i < n; ++i) {
        const int c = connect_to("127.0.0.1", port);
        const int a = accept_one(listener);
        close(c);
        usleep(1000);
        close(a);
    }
}

const std::regex k_nagios_line(R"(KEEPALIVE-TUNE (OK|WARNING|CRITICAL|UNKNOWN) - [^|\n]+ \| ([a-z_]+=[0-9.]+%?;[0-9.]*;[0-9.]*;[0-9.]*;[0-9.]* ?)+\n)");

TEST(CheckKernelTest, PortPressureTurnsWarningThenCriticalBeforeConnectFails) {
    KT_REQUIRE_KERNEL_TESTS();
    TestNetns ns;
    ASSERT_TRUE(ns.ok());
    // 40 local ports; tw_reuse 0 so loopback TIME_WAIT ports are not reused.
    ns.exec("sysctl -qw net.ipv4.ip_local_port_range='40000 40039' net.ipv4.tcp_tw_reuse=0");
    int listener = -1;
    ns.run_inside([&] { listener = listen_on("127.0.0.1", 8080); });
    ASSERT_GE(listener, 0);

    const std::vector<std::pair<int, int>> steps = {{10, 0}, {20, 0}, {25, 1}, {30, 1}, {35, 2}, {40, 2}};
    int made = 0;
    for (const auto& [total, expected] : steps) {
        ns.run_inside([&] { client_closes(listener, 8080, total - made); });
        made = total;
        auto r = run_tool({"check", "--netns", ns.name(), "--ports-warn", "50", "--ports-crit", "80"});
        EXPECT_EQ(r.exit_code, expected) << total << " closes: " << r.out << r.err;
        EXPECT_TRUE(std::regex_match(r.out, k_nagios_line)) << r.out;
        if (expected == 2) {
            EXPECT_NE(r.out.find("toward 127.0.0.1 -> 127.0.0.1:8080"), std::string::npos) << r.out;
        }
    }
    // Only now does the kernel refuse: every local port toward 127.0.0.1:8080 is in TIME_WAIT.
    // Seldom (once in many CI runs on 6.18) the kernel has handed out a TIME_WAIT port again
    // before the range was used up, which leaves a port free here: the ports are counted, and
    // the free ones are used the same way until the kernel refuses, so CRITICAL still came first.
    const auto held = ns.exec("ss -Htn state time-wait dst 127.0.0.1:8080 | wc -l");
    const int free_ports = 40 - std::stoi(held.empty() ? "0" : held);
    EXPECT_GE(free_ports, 0) << held;
    EXPECT_LE(free_ports, 2) << "ports in TIME_WAIT toward 127.0.0.1:8080: " << held;
    if (free_ports > 0 && free_ports <= 2) ns.run_inside([&] { client_closes(listener, 8080, free_ports); });
    int err = 0;
    ns.run_inside([&] { err = try_connect("127.0.0.1", 8080); });
    EXPECT_EQ(err, -EADDRNOTAVAIL) << "ports in TIME_WAIT toward 127.0.0.1:8080 before: " << held;
    if (err >= 0) close(err);
    close(listener);
}

TEST(CheckKernelTest, StateFileTurnsOverflowGrowthIntoAWarningAndResetsOnACounterGoingBack) {
    KT_REQUIRE_KERNEL_TESTS();
    TestNetns ns;
    TempDir dir;
    ASSERT_TRUE(ns.ok());
    ns.exec("sysctl -qw net.ipv4.tcp_max_tw_buckets=5");
    int listener = -1;
    ns.run_inside([&] { listener = listen_on("127.0.0.1", 8080); });
    const std::string state = dir.path() + "/state.json";
    const std::vector<std::string> args = {"--json",         "check", "--netns", ns.name(), "--state-file", state,
                                           "--buckets-warn", "100",   "--buckets-crit", "100"};
    auto first = run_tool(args);
    ASSERT_EQ(first.exit_code, 0) << first.out << first.err;
    EXPECT_EQ(nlohmann::json::parse(first.out)["netns"][0]["baseline"], "first run");

    ns.run_inside([&] { client_closes(listener, 8080, 20); });  // 5 fit in the table, 15 overflow
    auto second = run_tool(args);
    ASSERT_EQ(second.exit_code, 1) << second.out << second.err;
    const auto doc = nlohmann::json::parse(second.out);
    EXPECT_EQ(doc["status"], "WARNING");
    EXPECT_EQ(doc["netns"][0]["delta"]["tcp_ext"]["TCPTimeWaitOverflow"], 15);
    EXPECT_EQ(doc["netns"][0]["delta"]["tcp_ext"]["TW"], 5);
    EXPECT_NE(doc["findings"][0]["text"].get<std::string>().find("overflowed 15 times"), std::string::npos);

    // A counter lower than the stored one (a recreated netns) starts a new baseline.
    auto saved = nlohmann::json::parse(std::ifstream(state));
    saved["netns"][ns.name()]["TW"] = 1000000;
    std::ofstream(state) << saved.dump();
    auto third = run_tool(args);
    EXPECT_EQ(third.exit_code, 0) << third.out << third.err;
    const auto reset = nlohmann::json::parse(third.out);
    EXPECT_TRUE(reset["netns"][0]["delta"].is_null());
    EXPECT_EQ(reset["netns"][0]["baseline"], "counter TW went backwards (netns recreated or counters reset)");
    close(listener);
}

TEST(CheckKernelTest, KeepaliveDriftIsAWarningUntilTheProfileIsApplied) {
    KT_REQUIRE_KERNEL_TESTS();
    TempDir dir;
    const auto profile = dir.write_profile("probe", 30, 5, 3);
    TargetProcess target;
    ASSERT_TRUE(target.ok());
    const std::string pid = std::to_string(target.pid());
    auto drift = run_tool({"check", "--profile", profile, "--pid", pid});
    EXPECT_EQ(drift.exit_code, 1) << drift.out << drift.err;
    EXPECT_NE(drift.out.find("keepalive drift: 3 of 3 socket(s) differ from profile probe"), std::string::npos) << drift.out;
    ASSERT_EQ(run_tool({"apply", profile, "--pid", pid}).exit_code, 0);
    auto ok = run_tool({"check", "--profile", profile, "--pid", pid});
    EXPECT_EQ(ok.exit_code, 0) << ok.out << ok.err;
    EXPECT_NE(ok.out.find("keepalive_compliant=3;"), std::string::npos) << ok.out;
    // JSON says which engine read the sockets.
    for (const std::string engine : {"pidfd", "bpf"}) {
        if (engine == "bpf" && !KT_BPF_BUILT) continue;
        auto j = run_tool({"check", "--format", "json", "--profile", profile, "--pid", pid, "--engine", engine});
        ASSERT_EQ(j.exit_code, 0) << j.out << j.err;
        const auto doc = nlohmann::json::parse(j.out);
        EXPECT_EQ(doc["compliance"]["engine"], engine);
        EXPECT_EQ(doc["compliance"]["compliant"], 3);
    }
}

std::uint16_t free_loopback_port() {
    const int fd = listen_on("127.0.0.1", 0);
    const auto port = local_port(fd);
    close(fd);
    return port;
}

// GET /metrics on 127.0.0.1:port; empty until the server answers.
std::string http_get_metrics(std::uint16_t port) {
    const int fd = try_connect("127.0.0.1", port);
    if (fd < 0) return {};
    const std::string request = "GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
    if (write(fd, request.data(), request.size()) < 0) {
        close(fd);
        return {};
    }
    std::string body;
    char buf[65536];
    for (int i = 0; i < 1000; ++i) {
        const ssize_t n = read(fd, buf, sizeof buf);
        if (n <= 0) break;
        body.append(buf, static_cast<std::size_t>(n));
    }
    close(fd);
    return body;
}

TEST(CheckKernelTest, PrometheusFilePassesPromtoolAndIsScrapedByNodeExporter) {
    KT_REQUIRE_KERNEL_TESTS();
    for (const char* tool : {"/usr/bin/promtool", "/usr/bin/prometheus-node-exporter"})
        if (access(tool, X_OK) != 0) GTEST_SKIP() << tool << " is missing (Debian packages prometheus, prometheus-node-exporter)";
    TestNetns ns;
    TempDir dir;
    ASSERT_TRUE(ns.ok());
    std::vector<int> listeners;
    ns.run_inside([&] {
        for (int i = 1; i <= 3; ++i) {
            listeners.push_back(listen_on("127.0.0." + std::to_string(i), 9000));
            for (int k = 0; k < i * 2; ++k) {
                const int c = connect_to("127.0.0." + std::to_string(i), 9000);
                const int a = accept_one(listeners.back());
                close(c);
                usleep(1000);
                close(a);
            }
        }
    });
    const std::string file = dir.path() + "/keepalive_tune.prom";
    auto r = run_tool({"check", "--netns", ns.name(), "--format", "prometheus", "--output", file, "--top", "2",
                       "--state-file", dir.path() + "/state.json"});
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
    auto lint = run_program({"/bin/sh", "-c", "/usr/bin/promtool check metrics < " + file});
    EXPECT_EQ(lint.exit_code, 0) << lint.out << lint.err;

    const auto port = free_loopback_port();
    const std::string listen = "--web.listen-address=127.0.0." + std::string("1:") + std::to_string(port);
    const std::string textdir = "--collector.textfile.directory=" + dir.path();
    ChildProcess exporter([&](int) {
        execl("/usr/bin/prometheus-node-exporter", "prometheus-node-exporter", listen.c_str(), "--collector.disable-defaults",
              "--collector.textfile", textdir.c_str(), static_cast<char*>(nullptr));
        _exit(127);
    });
    std::string metrics;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    for (int i = 0; i < 200 && std::chrono::steady_clock::now() < deadline; ++i) {
        metrics = http_get_metrics(port);
        if (metrics.find("keepalive_tune_check_status") != std::string::npos) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    EXPECT_NE(metrics.find("\nkeepalive_tune_check_status 0\n"), std::string::npos) << metrics.substr(0, 2000);
    EXPECT_NE(metrics.find("keepalive_tune_time_wait_sockets{netns=\"" + ns.name() + "\"} 12\n"), std::string::npos);
    EXPECT_NE(metrics.find("keepalive_tune_destination_time_wait_sockets{local=\"other\",netns=\"" + ns.name() +
                           "\",peer=\"other\"} 2\n"),
              std::string::npos)
        << metrics.substr(0, 4000);
    EXPECT_NE(metrics.find("node_textfile_scrape_error 0\n"), std::string::npos);
    for (int fd : listeners) close(fd);
}

}  // namespace
}  // namespace kt::test
