// The host's own middleboxes on every path: a namespace whose conntrack tracks flows with a
// short established timeout makes a long-idle profile lose in profile check and show.
#include <gtest/gtest.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "support/nat_lab.hpp"
#include "support/netns.hpp"
#include "support/run_binary.hpp"
#include "support/sockets.hpp"

namespace kt::test {
namespace {

RunResult run_in(const TestNetns& ns, std::vector<std::string> args) {
    std::vector<std::string> argv{"/usr/sbin/ip", "netns", "exec", ns.name(), tool_path()};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_program(argv);
}

TEST(HostMiddleboxesTest, ThisNamespacesConntrackLosesAgainstALongIdleProfile) {
    KT_REQUIRE_KERNEL_TESTS();
    KT_REQUIRE_NFT();
    TestNetns ns;
    ASSERT_TRUE(ns.ok());
    // No flow tracked yet: nothing of the host's is on the path.
    auto none = run_in(ns, {"profile", "middleboxes", "--host"});
    EXPECT_EQ(none.exit_code, 0) << none.err;
    EXPECT_NE(none.out.find("none: conntrack tracks no flows"), std::string::npos) << none.out;
    auto beats = run_in(ns, {"profile", "check", "aws-nlb", "--path", "aws-nlb-tcp"});
    EXPECT_EQ(beats.exit_code, 0) << beats.out << beats.err;

    ASSERT_EQ(ns.exec("nft add table inet kt_ct && ip netns exec " + ns.name() +
                      " nft add chain inet kt_ct in '{ type filter hook input priority 0; ct state established accept; }'"
                      " && echo ok"),
              "ok\n");
    ns.exec("sysctl -qw net.netfilter.nf_conntrack_tcp_timeout_established=60");
    int l = -1, c = -1;
    ns.run_inside([&] {
        l = listen_on("127.0.0.1");
        c = connect_to("127.0.0.1", local_port(l));
    });
    const int a = accept_one(l);
    usleep(100 * 1000);

    auto listed = run_in(ns, {"--json", "profile", "middleboxes", "--host"});
    ASSERT_EQ(listed.exit_code, 0) << listed.err;
    const auto doc = nlohmann::json::parse(listed.out);
    ASSERT_EQ(doc["middleboxes"].size(), 1u) << listed.out;
    EXPECT_EQ(doc["middleboxes"][0]["id"], "host-conntrack");
    EXPECT_EQ(doc["middleboxes"][0]["idle_timeout_seconds"], 60);

    // aws-nlb probes first after 240 s idle: this host's conntrack forgets the flow at 60 s.
    auto loses = run_in(ns, {"profile", "check", "aws-nlb", "--path", "aws-nlb-tcp"});
    EXPECT_EQ(loses.exit_code, 1) << loses.out << loses.err;
    EXPECT_NE(loses.out.find("this host's conntrack"), std::string::npos) << loses.out;
    EXPECT_NE(loses.out.find("result: the profile loses on this path"), std::string::npos) << loses.out;
    auto show = run_in(ns, {"--json", "profile", "show", "aws-nlb"});
    ASSERT_EQ(show.exit_code, 0) << show.err;
    EXPECT_NE(show.out.find("host-conntrack"), std::string::npos) << show.out;
    // A profile that probes within 60 s beats it.
    auto fast = run_in(ns, {"profile", "check", "websocket", "--path", "aws-nlb-tcp"});
    EXPECT_EQ(fast.exit_code, 0) << fast.out;
    for (int fd : {l, c, a}) close(fd);
}

TEST(HostMiddleboxesTest, IpvsTimeoutsJoinThePathWhereTheKernelHasIpvs) {
    KT_REQUIRE_KERNEL_TESTS();
    if (access("/proc/net/ip_vs", F_OK) != 0)
        GTEST_SKIP() << "this kernel has no IPVS (no /proc/net/ip_vs; CONFIG_IP_VS unset or the module not loaded)";
    auto r = run_tool({"--json", "profile", "middleboxes", "--host"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("\"host-ipvs\""), std::string::npos) << r.out;
}

}  // namespace
}  // namespace kt::test
