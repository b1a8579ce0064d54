#include "core/timewait/timewait.hpp"

#include <gtest/gtest.h>

#include "core/socket/ip_text.hpp"

namespace kt {
namespace {

SocketRecord sock(std::uint8_t state, const char* local, std::uint16_t lport, const char* peer, std::uint16_t pport) {
    SocketRecord s;
    s.state = state;
    s.local = {*parse_ip_address(local), lport};
    s.peer = {*parse_ip_address(peer), pport};
    s.family = s.local.address.family;
    return s;
}

constexpr std::uint8_t k_est = 1, k_tw = 6, k_listen = 10;

TEST(TimewaitTest, ClientSideClosesAreGroupedByDestinationWithEveryStateCountedForPressure) {
    ListenerIndex listeners;
    TimewaitCounter c(listeners);
    for (std::uint16_t p = 40000; p < 40030; ++p) c.on_socket(sock(k_tw, "10.0.0.1", p, "10.0.0.9", 8080));
    for (std::uint16_t p = 41000; p < 41010; ++p) c.on_socket(sock(k_est, "10.0.0.1", p, "10.0.0.9", 8080));
    for (std::uint16_t p = 42000; p < 42005; ++p) c.on_socket(sock(k_tw, "10.0.0.1", p, "10.0.0.7", 5432));
    c.on_socket(sock(k_est, "10.0.0.1", 43000, "10.0.0.8", 443));  // no TIME_WAIT: not listed
    EXPECT_EQ(c.time_wait(), 35u);
    const auto clients = c.clients();
    ASSERT_EQ(clients.size(), 2u);
    EXPECT_EQ(endpoint_string(clients[0].peer), "10.0.0.9:8080");
    EXPECT_EQ(clients[0].time_wait, 30u);
    EXPECT_EQ(clients[0].all_states, 40u);
    EXPECT_DOUBLE_EQ(clients[0].close_rate(), 0.5);
    EXPECT_DOUBLE_EQ(clients[0].port_pressure(80), 0.5);
    EXPECT_EQ(clients[1].time_wait, 5u);
}

TEST(TimewaitTest, ServerSideClosesAreGroupedByListeningPort) {
    ListenerIndex listeners;
    listeners.add(sock(k_listen, "0.0.0.0", 80, "0.0.0.0", 0));
    TimewaitCounter c(listeners);
    for (std::uint16_t p = 50000; p < 50012; ++p) c.on_socket(sock(k_tw, "10.0.0.1", 80, "10.0.0.5", p));
    c.on_socket(sock(k_est, "10.0.0.1", 80, "10.0.0.5", 60000));
    EXPECT_TRUE(c.clients().empty());
    const auto servers = c.servers();
    ASSERT_EQ(servers.size(), 1u);
    EXPECT_EQ(servers[0].port, 80);
    EXPECT_EQ(servers[0].time_wait, 12u);
}

TEST(TimewaitTest, MappedAndPlainIpv4ShareADestination) {
    ListenerIndex listeners;
    TimewaitCounter c(listeners);
    c.on_socket(sock(k_tw, "127.0.0.1", 40000, "127.0.0.2", 80));
    c.on_socket(sock(k_tw, "::ffff:127.0.0.1", 40001, "::ffff:127.0.0.2", 80));
    ASSERT_EQ(c.clients().size(), 1u);
    EXPECT_EQ(c.clients()[0].time_wait, 2u);
}

TEST(TimewaitTest, TopNKeepsTheLargestAndSumsTheRest) {
    std::vector<ServerPort> all = {{80, 10}, {443, 7}, {8080, 3}, {9090, 1}};
    auto t = top_servers(all, 2);
    ASSERT_EQ(t.top.size(), 2u);
    ASSERT_TRUE(t.rest.has_value());
    EXPECT_EQ(t.rest->time_wait, 4u);
    EXPECT_FALSE(top_servers(all, 10).rest.has_value());
}

}  // namespace
}  // namespace kt

#include "core/timewait/timewait_report.hpp"

namespace kt {
namespace {

TimewaitTotals totals(std::uint64_t tw) {
    TimewaitTotals t;
    t.time_wait = tw;
    t.max_tw_buckets = 1000;
    t.tw_reuse = 2;
    t.port_range = PortRange{40000, 40099};  // 100 ports
    return t;
}

ClientDestination dest(std::uint64_t tw, std::uint64_t all) {
    ClientDestination d;
    d.local = *parse_ip_address("10.0.0.1");
    d.peer = {*parse_ip_address("10.0.0.9"), 8080};
    d.time_wait = tw;
    d.all_states = all;
    d.ports_in_use = all;
    return d;
}

TEST(TimewaitReportTest, QuietHostsGetNoAdvice) {
    auto r = build_timewait_report("host", totals(5), {dest(5, 8)}, {}, 10);
    EXPECT_TRUE(r.advice.empty());
    EXPECT_DOUBLE_EQ(r.worst_port_pressure, 0.08);
}

TEST(TimewaitReportTest, ChurnTowardOneDestinationAdvisesPoolingWithItsRate) {
    auto r = build_timewait_report("host", totals(120), {dest(120, 300)}, {}, 10);
    ASSERT_FALSE(r.advice.empty());
    EXPECT_NE(r.advice[0].action.find("pool or reuse upstream connections toward 10.0.0.9:8080"), std::string::npos);
    EXPECT_NE(r.advice[0].evidence.find("about 2.0/s"), std::string::npos) << r.advice[0].evidence;
}

TEST(TimewaitReportTest, PortPressureAdvisesReuseAndAWiderRangeUnlessReuseIsOn) {
    auto r = build_timewait_report("host", totals(60), {dest(60, 70)}, {}, 10);
    ASSERT_EQ(r.advice.size(), 2u);
    EXPECT_NE(r.advice[0].action.find("tcp_tw_reuse=1"), std::string::npos);
    EXPECT_NE(r.advice[0].evidence.find("uses 70 of 100 local ports (70%)"), std::string::npos) << r.advice[0].evidence;
    EXPECT_NE(r.advice[1].action.find("widen net.ipv4.ip_local_port_range (now 40000-40099)"), std::string::npos);
    auto t = totals(60);
    t.tw_reuse = 1;
    EXPECT_EQ(build_timewait_report("host", t, {dest(60, 70)}, {}, 10).advice.size(), 1u);
}

TEST(TimewaitReportTest, TheDefaultReuseAlreadyCoversLoopbackPeers) {
    auto loop = dest(60, 70);
    loop.peer = {*parse_ip_address("127.0.0.1"), 8080};
    auto r = build_timewait_report("host", totals(60), {loop}, {}, 10);
    ASSERT_EQ(r.advice.size(), 1u);
    EXPECT_NE(r.advice[0].action.find("widen"), std::string::npos);
}

TEST(TimewaitReportTest, FullBucketsAndOverflowsAreAdvisedOn) {
    auto t = totals(600);
    t.counters["TCPTimeWaitOverflow"] = 4;
    auto r = build_timewait_report("host", t, {}, {}, 10);
    ASSERT_EQ(r.advice.size(), 2u);
    EXPECT_NE(r.advice[0].evidence.find("600 TIME_WAIT of 1000 buckets (60%)"), std::string::npos);
    EXPECT_NE(r.advice[1].evidence.find("TCPTimeWaitOverflow = 4"), std::string::npos);
}

TEST(TimewaitReportTest, ServerSideChurnIsAdvisedOnByPort) {
    auto r = build_timewait_report("host", totals(150), {}, {ServerPort{443, 150}}, 10);
    ASSERT_EQ(r.advice.size(), 1u);
    EXPECT_NE(r.advice[0].action.find("this server closes first on port 443"), std::string::npos);
}

TEST(TimewaitReportTest, TwReuseValuesAreExplained) {
    EXPECT_EQ(tw_reuse_meaning(2), "2: loopback only (the default)");
    EXPECT_NE(tw_reuse_meaning(1).find("outbound"), std::string::npos);
}

}  // namespace
}  // namespace kt

namespace kt {
namespace {

TEST(TimewaitTest, PressureFilterKeepsTheBusiestDestinationsPeersAndPorts) {
    std::vector<ClientDestination> by_tw(3);
    by_tw[0].peer = {*parse_ip_address("10.0.0.9"), 5432};
    by_tw[1].peer = {*parse_ip_address("10.0.0.9"), 6379};
    by_tw[2].peer = {*parse_ip_address("fd00::7"), 443};
    const auto two = pressure_filter(by_tw, 2);
    ASSERT_EQ(two.peer.size(), 1u);
    EXPECT_EQ(two.peer[0].prefix_len, 32);
    EXPECT_EQ(two.dport.size(), 2u);
    const auto all = pressure_filter(by_tw, 10);
    ASSERT_EQ(all.peer.size(), 2u);
    EXPECT_EQ(all.peer[1].prefix_len, 128);
    EXPECT_EQ(all.dport.size(), 3u);
    EXPECT_TRUE(pressure_filter({}, 10).empty());
}

}  // namespace
}  // namespace kt
