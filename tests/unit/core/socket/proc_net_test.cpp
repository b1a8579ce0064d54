#include "core/socket/proc_net.hpp"

#include <gtest/gtest.h>

namespace kt {
namespace {

// Captured from Linux 6.18.
constexpr std::string_view k_sockstat =
    "sockets: used 142\n"
    "TCP: inuse 9 orphan 0 tw 1234 alloc 12 mem 3\n"
    "UDP: inuse 2 mem 1\n";

constexpr std::string_view k_netstat =
    "TcpExt: SyncookiesSent SyncookiesRecv TW TWRecycled TWKilled TCPKeepAlive TCPTimeWaitOverflow\n"
    "TcpExt: 0 0 5120 7 0 42 3\n"
    "IpExt: InNoRoutes InTruncatedPkts\n"
    "IpExt: 0 0\n";

TEST(ProcNetTest, SockstatGivesTheCurrentTimeWaitCount) {
    EXPECT_EQ(sockstat_time_wait(k_sockstat), 1234u);
    EXPECT_FALSE(sockstat_time_wait("UDP: inuse 2\n").has_value());
}

TEST(ProcNetTest, NetstatGivesEveryTcpExtCounter) {
    const auto c = tcp_ext_counters(k_netstat);
    EXPECT_EQ(c.at("TW"), 5120u);
    EXPECT_EQ(c.at("TWRecycled"), 7u);
    EXPECT_EQ(c.at("TCPTimeWaitOverflow"), 3u);
    EXPECT_EQ(c.at("TCPKeepAlive"), 42u);
    EXPECT_FALSE(c.count("InNoRoutes"));
}

TEST(ProcNetTest, PortRangeAndIntegersParse) {
    EXPECT_EQ(local_port_range("32768\t60999\n"), (PortRange{32768, 60999}));
    EXPECT_FALSE(local_port_range("60999 32768").has_value());
    EXPECT_FALSE(local_port_range("nonsense").has_value());
    EXPECT_EQ(sysctl_integer("2\n"), 2);
    EXPECT_EQ(sysctl_integer("131072\n"), 131072);
    EXPECT_FALSE(sysctl_integer("").has_value());
}

}  // namespace
}  // namespace kt
