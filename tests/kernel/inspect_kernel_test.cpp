// `inspect` against the real kernel: sockets made in namespaces the tests create.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "support/netns.hpp"
#include "support/run_binary.hpp"
#include "support/sockets.hpp"
#include "support/temp_dir.hpp"

namespace kt::test {
namespace {

nlohmann::json inspect_json(const std::vector<std::string>& args) {
    std::vector<std::string> full{"--json", "inspect"};
    full.insert(full.end(), args.begin(), args.end());
    auto r = run_tool(full);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return nlohmann::json::parse(r.out);
}

// Sockets keyed by "local port -> peer port" (unique within a test's namespace).
std::map<std::string, nlohmann::json> by_ports(const nlohmann::json& doc) {
    std::map<std::string, nlohmann::json> out;
    for (const auto& s : doc["sockets"])
        out[std::to_string(s["local"]["port"].get<int>()) + "->" + std::to_string(s["peer"]["port"].get<int>())] = s;
    return out;
}

std::string key(int local, int peer) { return std::to_string(local) + "->" + std::to_string(peer); }

struct Population {
    int l4 = -1, l6 = -1, c1 = -1, a1 = -1, c2 = -1, a2 = -1, c3 = -1;
    std::uint16_t p4 = 0, p6 = 0, c1_port = 0, c2_port = 0, c3_port = 0;
};

// A v4 and a v6 listener; c1 -> l4 with keepalive 30/5/3; c2 -> l6 with keepalive off;
// c3 -> l4 closed by the client first, so c3 sits in TIME_WAIT.
Population make_population(const TestNetns& ns) {
    Population p;
    ns.run_inside([&] {
        p.l4 = listen_on("127.0.0.1");
        p.l6 = listen_on("::1");
        p.p4 = local_port(p.l4);
        p.p6 = local_port(p.l6);
        p.c1 = connect_to("127.0.0.1", p.p4);
        p.a1 = accept_one(p.l4);
        set_keepalive(p.c1, 30, 5, 3);
        p.c2 = connect_to("::1", p.p6);
        p.a2 = accept_one(p.l6);
        p.c3 = connect_to("127.0.0.1", p.p4);
        const int a3 = accept_one(p.l4);
        p.c1_port = local_port(p.c1);
        p.c2_port = local_port(p.c2);
        p.c3_port = local_port(p.c3);
        close(p.c3);
        usleep(50 * 1000);
        close(a3);
        usleep(50 * 1000);
    });
    return p;
}

void close_population(const Population& p) {
    for (int fd : {p.l4, p.l6, p.c1, p.a1, p.c2, p.a2})
        if (fd >= 0) close(fd);
}

TEST(InspectKernelTest, RolesAndKeepaliveStatesComeOutRight) {
    KT_REQUIRE_KERNEL_TESTS();
    TestNetns ns;
    ASSERT_TRUE(ns.ok());
    const auto p = make_population(ns);
    auto doc = inspect_json({"--netns", ns.name(), "--state", "all"});
    auto s = by_ports(doc);
    close_population(p);

    ASSERT_TRUE(s.count(key(p.p4, 0)));
    EXPECT_EQ(s[key(p.p4, 0)]["role"], "listener");
    EXPECT_EQ(s[key(p.p4, 0)]["keepalive"]["observed"], "not-observable");
    EXPECT_EQ(s[key(p.p6, 0)]["family"], "ipv6");

    ASSERT_TRUE(s.count(key(p.c1_port, p.p4)));
    EXPECT_EQ(s[key(p.c1_port, p.p4)]["role"], "upstream");
    EXPECT_EQ(s[key(p.c1_port, p.p4)]["keepalive"]["observed"], "armed");
    EXPECT_GT(s[key(p.c1_port, p.p4)]["keepalive"]["next_ms"].get<int>(), 25000);
    EXPECT_LE(s[key(p.c1_port, p.p4)]["keepalive"]["next_ms"].get<int>(), 30000);
    EXPECT_EQ(s[key(p.c1_port, p.p4)]["keepalive"]["unanswered_probes"], 0);

    EXPECT_EQ(s[key(p.p4, p.c1_port)]["role"], "accepted");
    EXPECT_EQ(s[key(p.p4, p.c1_port)]["keepalive"]["observed"], "off");
    EXPECT_EQ(s[key(p.c2_port, p.p6)]["role"], "upstream");
    EXPECT_EQ(s[key(p.c2_port, p.p6)]["keepalive"]["observed"], "off");
    EXPECT_EQ(s[key(p.p6, p.c2_port)]["role"], "accepted");

    ASSERT_TRUE(s.count(key(p.c3_port, p.p4)));
    EXPECT_EQ(s[key(p.c3_port, p.p4)]["state"], "time-wait");
    EXPECT_EQ(s[key(p.c3_port, p.p4)]["role"], "upstream");
    EXPECT_EQ(s[key(p.c3_port, p.p4)]["timer"]["kind"], "time-wait");

    ASSERT_EQ(doc["netns"].size(), 1u);
    EXPECT_EQ(doc["netns"][0]["label"], ns.name());
    EXPECT_EQ(doc["sockets"][0]["netns"], ns.name());
}

std::set<std::string> keys_of(const nlohmann::json& doc) {
    std::set<std::string> out;
    for (const auto& [k, v] : by_ports(doc)) out.insert(k);
    return out;
}

TEST(InspectKernelTest, KernelFiltersAndUserSpaceFiltersSelectTheRightSockets) {
    KT_REQUIRE_KERNEL_TESTS();
    TestNetns ns;
    ASSERT_TRUE(ns.ok());
    const auto p = make_population(ns);
    const std::string n = ns.name();
    const std::string p4 = std::to_string(p.p4), p6 = std::to_string(p.p6);
    using Keys = std::set<std::string>;
    EXPECT_EQ(keys_of(inspect_json({"--netns", n, "--state", "all", "--sport", p4})),
              (Keys{key(p.p4, 0), key(p.p4, p.c1_port)}));
    EXPECT_EQ(keys_of(inspect_json({"--netns", n, "--state", "all", "--dport", p4})),
              (Keys{key(p.c1_port, p.p4), key(p.c3_port, p.p4)}));
    EXPECT_EQ(keys_of(inspect_json({"--netns", n, "--port", p6})),
              (Keys{key(p.p6, 0), key(p.p6, p.c2_port), key(p.c2_port, p.p6)}));
    EXPECT_EQ(keys_of(inspect_json({"--netns", n, "-6"})), (Keys{key(p.p6, 0), key(p.p6, p.c2_port), key(p.c2_port, p.p6)}));
    EXPECT_EQ(keys_of(inspect_json({"--netns", n, "--peer", "::1/128"})), (Keys{key(p.p6, p.c2_port), key(p.c2_port, p.p6)}));
    EXPECT_EQ(keys_of(inspect_json({"--netns", n, "--role", "accepted"})), (Keys{key(p.p4, p.c1_port), key(p.p6, p.c2_port)}));
    EXPECT_EQ(keys_of(inspect_json({"--netns", n, "--keepalive", "on"})), (Keys{key(p.c1_port, p.p4)}));
    // Roles stay right when the kernel filter leaves the listeners out of the main dump.
    auto accepted = by_ports(inspect_json({"--netns", n, "--state", "established", "--dport", std::to_string(p.c1_port)}));
    ASSERT_EQ(accepted.size(), 1u);
    EXPECT_EQ(accepted.begin()->second["role"], "accepted");
    close_population(p);
}

TEST(InspectKernelTest, ExactReadsTheConfiguredOptionsOfAnotherProcessesListener) {
    KT_REQUIRE_KERNEL_TESTS();
    ChildProcess child([](int ready) {
        const int l = listen_on("127.0.0.1");
        set_keepalive(l, 42, 7, 5);
        set_int_option(l, IPPROTO_TCP, TCP_USER_TIMEOUT, 12345);
        const int port = local_port(l);
        if (write(ready, &port, sizeof port) != sizeof port) _exit(1);
        for (int i = 0; i < 600; ++i) sleep(1);
    });
    const int port = child.wait_ready();
    ASSERT_GT(port, 0);
    auto doc = inspect_json({"--exact", "--pid", std::to_string(child.pid())});
    ASSERT_EQ(doc["sockets"].size(), 1u) << doc.dump();
    const auto& s = doc["sockets"][0];
    EXPECT_EQ(s["local"]["port"], port);
    EXPECT_EQ(s["process"]["pid"], child.pid());
    EXPECT_EQ(s["exact"]["so_keepalive"], true);
    EXPECT_EQ(s["exact"]["idle_seconds"], 42);
    EXPECT_EQ(s["exact"]["interval_seconds"], 7);
    EXPECT_EQ(s["exact"]["count"], 5);
    EXPECT_EQ(s["exact"]["user_timeout_ms"], 12345);
}

TEST(InspectKernelTest, ProcessesColumnNamesTheOwningPidAndFd) {
    KT_REQUIRE_KERNEL_TESTS();
    const int l = listen_on("127.0.0.1");
    auto doc = inspect_json({"-p", "--state", "listening", "--sport", std::to_string(local_port(l))});
    close(l);
    ASSERT_EQ(doc["sockets"].size(), 1u);
    EXPECT_EQ(doc["sockets"][0]["process"]["pid"], getpid());
    EXPECT_EQ(doc["sockets"][0]["process"]["fd"], l);
    EXPECT_EQ(doc["sockets"][0]["process"]["comm"], "kt_kernel_tests");
}

TEST(InspectKernelTest, AllNetnsFindsATestNamespaceByItsNameAndNetnsOfFollowsAProcess) {
    KT_REQUIRE_KERNEL_TESTS();
    TestNetns ns;
    ASSERT_TRUE(ns.ok());
    int l = -1;
    ns.run_inside([&] { l = listen_on("127.0.0.1", 4242); });
    auto doc = inspect_json({"--all-netns", "--state", "listening"});
    bool netns_listed = false, socket_labelled = false;
    for (const auto& n : doc["netns"]) netns_listed = netns_listed || n["label"] == ns.name();
    for (const auto& s : doc["sockets"]) socket_labelled = socket_labelled || (s["netns"] == ns.name() && s["local"]["port"] == 4242);
    EXPECT_TRUE(netns_listed) << doc["netns"].dump();
    EXPECT_TRUE(socket_labelled);

    ChildProcess child([&](int ready) {
        const int fd = open(("/run/netns/" + ns.name()).c_str(), O_RDONLY);
        if (fd < 0 || setns(fd, CLONE_NEWNET) != 0) _exit(1);
        const int one = 1;
        if (write(ready, &one, sizeof one) != sizeof one) _exit(1);
        for (int i = 0; i < 600; ++i) sleep(1);
    });
    ASSERT_EQ(child.wait_ready(), 1);
    auto of = inspect_json({"--netns-of", std::to_string(child.pid()), "--state", "listening"});
    ASSERT_EQ(of["sockets"].size(), 1u);
    EXPECT_EQ(of["sockets"][0]["local"]["port"], 4242);
    close(l);
}

// --idle reads tcp_info: how long since data went each way and since the peer's last ACK;
// --idle-over and --idle-under select by the least of them.
TEST(InspectKernelTest, IdleShowsTcpInfoTimesAndFiltersByThem) {
    KT_REQUIRE_KERNEL_TESTS();
    TestNetns ns;
    ASSERT_TRUE(ns.ok());
    int l = -1, quiet = -1, busy = -1;
    ns.run_inside([&] {
        l = listen_on("127.0.0.1");
        quiet = connect_to("127.0.0.1", local_port(l));
        busy = connect_to("127.0.0.1", local_port(l));
    });
    const int a1 = accept_one(l), a2 = accept_one(l);
    // Margins that hold under sanitizers and load: 3 s of quiet against a 2 s threshold, and
    // the busy connection sends again right before each filtered read.
    usleep(3000 * 1000);
    ASSERT_EQ(send(busy, "x", 1, 0), 1);  // data now, an ACK back
    usleep(100 * 1000);
    auto sockets = by_ports(inspect_json({"--netns", ns.name(), "--idle", "--role", "upstream"}));
    const auto q = sockets.at(key(local_port(quiet), local_port(l)));
    const auto b = sockets.at(key(local_port(busy), local_port(l)));
    EXPECT_GE(q["idle"]["ms"], 2900);
    EXPECT_GE(q["idle"]["last_data_recv_ms"], 2900);
    EXPECT_LT(b["idle"]["last_data_sent_ms"], 1000);
    EXPECT_LT(b["idle"]["ms"], 1000);
    EXPECT_EQ(b["idle"]["unacked"], 0);
    ASSERT_EQ(send(busy, "x", 1, 0), 1);
    auto over = inspect_json({"--netns", ns.name(), "--idle-over", "2s", "--role", "upstream"});
    ASSERT_EQ(over["sockets"].size(), 1u);
    EXPECT_EQ(over["sockets"][0]["local"]["port"], local_port(quiet));
    ASSERT_EQ(send(busy, "x", 1, 0), 1);
    auto under = inspect_json({"--netns", ns.name(), "--idle-under", "2s", "--role", "upstream"});
    ASSERT_EQ(under["sockets"].size(), 1u);
    EXPECT_EQ(under["sockets"][0]["local"]["port"], local_port(busy));
    // Without --idle the dump does not carry tcp_info, and the JSON has no idle object.
    EXPECT_FALSE(by_ports(inspect_json({"--netns", ns.name(), "--role", "upstream"})).begin()->second.contains("idle"));
    for (int fd : {l, quiet, busy, a1, a2}) close(fd);
}

TEST(InspectKernelTest, DumpRawThenReplayGivesTheSameSockets) {
    KT_REQUIRE_KERNEL_TESTS();
    TestNetns ns;
    ASSERT_TRUE(ns.ok());
    const auto p = make_population(ns);
    TempDir dir;
    const std::string raw = dir.path() + "/dump.bin";
    auto live = inspect_json({"--netns", ns.name(), "--state", "all", "--dump-raw", raw});
    auto replayed = inspect_json({"--replay", raw, "--state", "all"});
    auto established = inspect_json({"--replay", raw, "--state", "established", "--sport", std::to_string(p.p4)});
    close_population(p);
    for (auto* d : {&live, &replayed})
        for (auto& s : (*d)["sockets"]) s.erase("netns");
    EXPECT_EQ(live["sockets"], replayed["sockets"]);
    ASSERT_EQ(established["sockets"].size(), 1u);
    EXPECT_EQ(established["sockets"][0]["role"], "accepted");
}

TEST(InspectKernelTest, SummaryCountsMatchTheRows) {
    KT_REQUIRE_KERNEL_TESTS();
    TestNetns ns;
    ASSERT_TRUE(ns.ok());
    const auto p = make_population(ns);
    auto sum = inspect_json({"--netns", ns.name(), "--state", "all", "--summary"});
    close_population(p);
    ASSERT_EQ(sum["summary"].size(), 1u);
    const auto& s = sum["summary"][0];
    EXPECT_EQ(s["by_state"]["listening"], 2);
    EXPECT_EQ(s["by_state"]["established"], 4);
    EXPECT_EQ(s["by_state"]["time-wait"], 1);
    EXPECT_EQ(s["by_role"]["listener"], 2);
    EXPECT_EQ(s["by_role"]["accepted"], 2);
    EXPECT_EQ(s["by_role"]["upstream"], 3);
    EXPECT_EQ(s["established_keepalive"]["armed"], 1);
    EXPECT_EQ(s["established_keepalive"]["off"], 3);
}

}  // namespace
}  // namespace kt::test
