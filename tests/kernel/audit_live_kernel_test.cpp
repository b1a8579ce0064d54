// `audit --pid` on a real nginx and a real HAProxy started in a namespace the test creates: a
// listener as declared is consistent; `apply` on the listening sockets shows as drift (L1) where
// the configuration declares values and as values to persist (L2) where it does not; a reload
// puts nginx's so_keepalive back and leaves the rest.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fcntl.h>
#include <nlohmann/json.hpp>
#include <thread>

#include "support/netns.hpp"
#include "support/proxy_in_netns.hpp"
#include "support/run_binary.hpp"
#include "support/temp_dir.hpp"
#include "sys/proxy_process.hpp"

namespace kt::test {
namespace {

nlohmann::json audit_json(pid_t pid) {
    auto r = run_tool({"--json", "audit", "--pid", std::to_string(pid), "--engine", "pidfd"});
    EXPECT_TRUE(r.exit_code == 0 || r.exit_code == 1) << r.err;
    return nlohmann::json::parse(r.out.empty() ? "{}" : r.out);
}

// "L1@5" for every finding of rule L*.
std::vector<std::string> live_rules(const nlohmann::json& doc) {
    std::vector<std::string> out;
    const auto& configs = doc["configs"];
    for (const auto& c : configs)
        for (const auto& f : c["findings"])
            if (f["rule"].get<std::string>().starts_with("L"))
                out.push_back(f["rule"].get<std::string>() + "@" + std::to_string(f["line"].get<int>()));
    return out;
}

const nlohmann::json* finding(const nlohmann::json& doc, const std::string& rule) {
    for (const auto& f : doc["configs"][0]["findings"])
        if (f["rule"] == rule) return &f;
    return nullptr;
}

#define KT_REQUIRE_PROGRAM(path)                                                   \
    do {                                                                          \
        if (access(path, X_OK) != 0) GTEST_SKIP() << path << " is not installed"; \
    } while (0)

TEST(AuditLiveKernelTest, NginxListenerAsDeclaredIsConsistentThenApplyDriftsAndReloadRestoresSoKeepalive) {
    KT_REQUIRE_KERNEL_TESTS();
    KT_REQUIRE_PROGRAM("/usr/sbin/nginx");
    TestNetns ns;
    ASSERT_TRUE(ns.ok());
    TempDir dir;
    const std::string conf = dir.write("nginx.conf", "daemon off;\nworker_processes 1;\npid " + dir.path() +
                                                         "/nginx.pid;\nevents { worker_connections 64; }\n"
                                                         "http {\n    access_log off;\n"
                                                         "    server { listen 127.0.0.1:18080 so_keepalive=60:20:2; }\n"
                                                         "    server { listen 127.0.0.1:18081; }\n}\n");
    ProxyInNetns nginx(ns, {"/usr/sbin/nginx", "-e", dir.path() + "/error.log", "-c", conf}, dir.path() + "/out.log");
    ASSERT_TRUE(wait_for_listeners(ns, {18080, 18081})) << shell("cat " + dir.path() + "/out.log " + dir.path() + "/error.log");

    // As started: both listeners hold what the file says.
    auto clean = run_tool({"audit", "--pid", std::to_string(nginx.pid()), "--engine", "pidfd"});
    EXPECT_EQ(clean.exit_code, 0) << clean.out << clean.err;
    EXPECT_NE(clean.out.find("running nginx pid " + std::to_string(nginx.pid())), std::string::npos) << clean.out;
    EXPECT_EQ(clean.out.find(" L1 "), std::string::npos) << clean.out;
    EXPECT_EQ(clean.out.find(" L2 "), std::string::npos) << clean.out;
    auto doc = audit_json(nginx.pid());
    ASSERT_EQ(doc["configs"].size(), 1u);
    const auto& process = doc["configs"][0]["process"];
    EXPECT_EQ(process["kind"], "nginx");
    EXPECT_GE(process["owners"].size(), 2u);  // the master and its worker
    ASSERT_EQ(process["listeners"].size(), 2u);
    EXPECT_EQ(process["listeners"][0]["verdict"], "consistent");
    EXPECT_EQ(process["listeners"][0]["sockets"][0]["idle_seconds"], 60);
    EXPECT_EQ(process["listeners"][0]["sockets"][0]["count"], 2);
    EXPECT_EQ(process["listeners"][1]["verdict"], "consistent");
    EXPECT_EQ(doc["configs"][0]["files"][0], conf);

    // A worker's pid audits its master, once.
    const auto workers = sys::descendants_of("/proc", nginx.pid());
    ASSERT_FALSE(workers.empty());
    auto both = run_tool({"--json", "audit", "--pid", std::to_string(workers[0]), "--pid", std::to_string(nginx.pid())});
    ASSERT_EQ(both.exit_code, 0) << both.err;
    EXPECT_EQ(nlohmann::json::parse(both.out)["configs"].size(), 1u);

    // apply puts 240/30/4 on both listening sockets.
    const auto profile = dir.write_profile("live", 240, 30, 4);
    auto applied = run_tool({"apply", profile, "--pid", std::to_string(nginx.pid()), "--role", "listener"});
    ASSERT_EQ(applied.exit_code, 0) << applied.out << applied.err;
    auto drift = run_tool({"audit", "--pid", std::to_string(nginx.pid()), "--fail-on", "medium"});
    EXPECT_EQ(drift.exit_code, 1) << drift.out << drift.err;
    doc = audit_json(nginx.pid());
    EXPECT_EQ(live_rules(doc), (std::vector<std::string>{"L1@7", "L2@8"}));
    const auto* l1 = finding(doc, "L1");
    ASSERT_NE(l1, nullptr);
    EXPECT_NE((*l1)["evidence"].get<std::string>().find("declared so_keepalive=60:20:2 on 127.0.0.1:18080"),
              std::string::npos);
    EXPECT_NE((*l1)["evidence"].get<std::string>().find("keepalive on 240/30/4"), std::string::npos);
    const auto* l2 = finding(doc, "L2");
    ASSERT_NE(l2, nullptr);
    EXPECT_NE((*l2)["fix"]["text"].get<std::string>().find("listen 127.0.0.1:18081 so_keepalive=240:30:4;"),
              std::string::npos)
        << (*l2)["fix"]["text"];
    // The BPF engine reads the same values where it is built.
    if (KT_BPF_BUILT) {
        auto bpf = run_tool({"--json", "audit", "--pid", std::to_string(nginx.pid()), "--engine", "bpf"});
        ASSERT_EQ(bpf.exit_code, 0) << bpf.err;  // L1 and L2 are medium, below the default --fail-on high
        const auto bpf_doc = nlohmann::json::parse(bpf.out);
        EXPECT_EQ(live_rules(bpf_doc), (std::vector<std::string>{"L1@7", "L2@8"}));
        EXPECT_EQ(bpf_doc["configs"][0]["process"]["engine"], "bpf");
    }

    // A reload sets so_keepalive on the inherited listening socket again (ngx_configure_listening_sockets)
    // and leaves the values of the listener that declares none.
    ASSERT_EQ(kill(nginx.pid(), SIGHUP), 0);
    std::vector<std::string> after;
    for (int i = 0; i < 50; ++i) {
        after = live_rules(audit_json(nginx.pid()));
        if (after == std::vector<std::string>{"L2@8"}) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    EXPECT_EQ(after, std::vector<std::string>{"L2@8"});

    // A listener added to the file but not loaded has no socket: L3, for information.
    dir.write("nginx.conf", "daemon off;\nworker_processes 1;\npid " + dir.path() +
                                "/nginx.pid;\nevents { worker_connections 64; }\n"
                                "http {\n    access_log off;\n"
                                "    server { listen 127.0.0.1:18080 so_keepalive=60:20:2; }\n"
                                "    server { listen 127.0.0.1:18081 so_keepalive=240:30:4; }\n"
                                "    server { listen 127.0.0.1:18082; }\n}\n");
    doc = audit_json(nginx.pid());
    EXPECT_EQ(live_rules(doc), std::vector<std::string>{"L3@9"});
}

// audit --comm nginx picks every process named nginx: a stray worker whose master is gone is
// skipped and said (naming --comm, which the user gave), the running master is audited; with
// only strays, that is the error.
TEST(AuditLiveKernelTest, AStrayNginxWorkerIsSkippedByCommAndTheMasterAudited) {
    KT_REQUIRE_KERNEL_TESTS();
    KT_REQUIRE_PROGRAM("/usr/sbin/nginx");
    TempDir dir;
    // A process called nginx, titled as a worker, whose parent is this test, not a master.
    const std::string fake = dir.path() + "/nginx";
    ASSERT_EQ(shell("cp /bin/sleep " + fake + " && echo ok"), "ok\n");
    ChildProcess stray([&](int) {
        execl(fake.c_str(), "nginx: worker process", "60", static_cast<char*>(nullptr));
        _exit(127);
    });
    usleep(200 * 1000);
    const auto alone = run_tool({"audit", "--comm", "nginx"});
    EXPECT_EQ(alone.exit_code, 2) << alone.out << alone.err;
    EXPECT_NE(alone.err.find("--comm nginx: pid " + std::to_string(stray.pid()) + ": is an nginx helper process"),
              std::string::npos)
        << alone.err;

    TestNetns ns;
    ASSERT_TRUE(ns.ok());
    const std::string conf = dir.write("nginx.conf", "daemon off;\nworker_processes 1;\npid " + dir.path() +
                                                         "/nginx.pid;\nevents { worker_connections 64; }\n"
                                                         "http {\n    access_log off;\n"
                                                         "    server { listen 127.0.0.1:18090 so_keepalive=60:20:2; }\n}\n");
    ProxyInNetns nginx(ns, {"/usr/sbin/nginx", "-e", dir.path() + "/error.log", "-c", conf}, dir.path() + "/out.log");
    ASSERT_TRUE(wait_for_listeners(ns, {18090})) << shell("cat " + dir.path() + "/out.log " + dir.path() + "/error.log");
    const auto r = run_tool({"--json", "audit", "--comm", "nginx", "--engine", "pidfd"});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    const auto doc = nlohmann::json::parse(r.out);
    ASSERT_EQ(doc["configs"].size(), 1u) << r.out;
    EXPECT_EQ(doc["configs"][0]["process"]["pid"], nginx.pid());
    ASSERT_EQ(doc["skipped"].size(), 1u) << r.out;
    EXPECT_NE(doc["skipped"][0].get<std::string>().find("pid " + std::to_string(stray.pid())), std::string::npos);
    const auto text = run_tool({"audit", "--comm", "nginx", "--engine", "pidfd"});
    EXPECT_NE(text.err.find("; skipped"), std::string::npos) << text.err;
}

TEST(AuditLiveKernelTest, HaproxyListenerCarriesNothingUntilApplyThenL2PersistsItWithClitcpka) {
    KT_REQUIRE_KERNEL_TESTS();
    KT_REQUIRE_PROGRAM("/usr/sbin/haproxy");
    TestNetns ns;
    ASSERT_TRUE(ns.ok());
    TempDir dir;
    const std::string cfg = dir.write("haproxy.cfg",
                                      "defaults\n    mode tcp\n    timeout client 1m\n    timeout server 1m\n"
                                      "    timeout connect 5s\n"
                                      "frontend fe\n    option clitcpka\n    clitcpka-idle 60\n"
                                      "    bind 127.0.0.1:18090\n    default_backend be\n"
                                      "backend be\n    server s1 127.0.0.1:18091\n");
    ProxyInNetns haproxy(ns, {"/usr/sbin/haproxy", "-db", "-f", cfg}, dir.path() + "/out.log");
    ASSERT_TRUE(wait_for_listeners(ns, {18090})) << shell("cat " + dir.path() + "/out.log");

    auto doc = audit_json(haproxy.pid());
    EXPECT_EQ(live_rules(doc), std::vector<std::string>{});
    EXPECT_EQ(doc["configs"][0]["process"]["listeners"][0]["verdict"], "consistent");
    EXPECT_EQ(doc["configs"][0]["process"]["listeners"][0]["declared"], "option clitcpka, clitcpka-idle 60");

    const auto profile = dir.write_profile("live", 240, 30, 4);
    auto applied = run_tool({"apply", profile, "--pid", std::to_string(haproxy.pid()), "--role", "listener"});
    ASSERT_EQ(applied.exit_code, 0) << applied.out << applied.err;
    doc = audit_json(haproxy.pid());
    EXPECT_EQ(live_rules(doc), std::vector<std::string>{"L2@9"});
    const auto* l2 = finding(doc, "L2");
    ASSERT_NE(l2, nullptr);
    const auto fix = (*l2)["fix"]["text"].get<std::string>();
    // The idle HAProxy sets per connection stays; interval and count come from the socket.
    EXPECT_NE(fix.find("clitcpka-idle 60s"), std::string::npos) << fix;
    EXPECT_NE(fix.find("clitcpka-intvl 30s"), std::string::npos) << fix;
    EXPECT_NE(fix.find("clitcpka-cnt 4"), std::string::npos) << fix;
    EXPECT_NE(fix.find("bind 127.0.0.1:18090"), std::string::npos) << fix;
}

// Envoy is not packaged for Debian 12: a stand-in named envoy, started as `envoy -c FILE`, binds
// the listener of FILE and sets on it what Envoy sets from that listener's socket_options
// (SO_KEEPALIVE, then TCP_KEEPIDLE/INTVL/CNT before bind), then waits. What is tested is
// keepalive-tune's side: the configuration found from the command line, the listener's declared
// options read from socket_options, and the comparison with the listening socket.
TEST(AuditLiveKernelTest, AnEnvoyListenersSocketOptionsAreComparedWithItsListeningSocket) {
    KT_REQUIRE_KERNEL_TESTS();
    KT_REQUIRE_PROGRAM("/usr/bin/python3");
    TestNetns ns;
    ASSERT_TRUE(ns.ok());
    TempDir dir;
    const std::string config = dir.write(
        "envoy.yaml",
        "static_resources:\n"
        "  listeners:\n"
        "  - name: ingress\n"
        "    address: {socket_address: {address: 127.0.0.1, port_value: 18095}}\n"
        "    socket_options:\n"
        "    - {level: 1, name: 9, int_value: 1, state: STATE_PREBIND}\n"
        "    - {level: 6, name: 4, int_value: 60, state: STATE_PREBIND}\n"
        "    - {level: 6, name: 5, int_value: 20, state: STATE_PREBIND}\n"
        "    - {level: 6, name: 6, int_value: 2, state: STATE_PREBIND}\n"
        "    filter_chains:\n"
        "    - filters:\n"
        "      - name: envoy.filters.network.tcp_proxy\n"
        "        typed_config:\n"
        "          \"@type\": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy\n"
        "          stat_prefix: ingress\n"
        "          cluster: backend\n"
        "          idle_timeout: 600s\n"
        "  clusters:\n"
        "  - name: backend\n"
        "    connect_timeout: 1s\n"
        "    upstream_connection_options: {tcp_keepalive: {keepalive_time: 60}}\n");
    const std::string stand_in = dir.write("envoy",
                                           "#!/usr/bin/python3\n"
                                           "import socket, sys, time\n"
                                           "assert sys.argv[1] == '-c'\n"
                                           "s = socket.socket()\n"
                                           "s.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)\n"
                                           "s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 60)\n"
                                           "s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, 20)\n"
                                           "s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT, 2)\n"
                                           "s.bind(('127.0.0.1', 18095))\n"
                                           "s.listen(16)\n"
                                           "time.sleep(120)\n");
    ASSERT_EQ(chmod(stand_in.c_str(), 0755), 0);
    ProxyInNetns envoy(ns, {stand_in, "-c", config}, dir.path() + "/out.log");
    ASSERT_TRUE(wait_for_listeners(ns, {18095})) << shell("cat " + dir.path() + "/out.log");

    auto doc = audit_json(envoy.pid());
    ASSERT_EQ(doc["configs"].size(), 1u) << doc.dump(1);
    const auto& process = doc["configs"][0]["process"];
    EXPECT_EQ(process["kind"], "envoy");
    EXPECT_EQ(doc["configs"][0]["files"][0], config);
    ASSERT_EQ(process["listeners"].size(), 1u);
    EXPECT_EQ(process["listeners"][0]["verdict"], "consistent");
    EXPECT_EQ(live_rules(doc), std::vector<std::string>{});

    // apply puts 240/30/4 on the listening socket: the values differ from socket_options (L1),
    // and the fix persists them as Envoy configuration.
    const auto profile = dir.write_profile("live", 240, 30, 4);
    auto applied = run_tool({"apply", profile, "--pid", std::to_string(envoy.pid()), "--role", "listener"});
    ASSERT_EQ(applied.exit_code, 0) << applied.out << applied.err;
    doc = audit_json(envoy.pid());
    EXPECT_EQ(live_rules(doc), std::vector<std::string>{"L1@3"});
    const auto* l1 = finding(doc, "L1");
    ASSERT_NE(l1, nullptr);
    EXPECT_NE((*l1)["evidence"].get<std::string>().find("1/9=1, 6/4=60, 6/5=20, 6/6=2"), std::string::npos)
        << (*l1)["evidence"];
    EXPECT_NE((*l1)["evidence"].get<std::string>().find("keepalive on 240/30/4"), std::string::npos) << (*l1)["evidence"];
    EXPECT_NE((*l1)["fix"]["text"].get<std::string>().find("restart Envoy"), std::string::npos) << (*l1)["fix"];
}

}  // namespace
}  // namespace kt::test
