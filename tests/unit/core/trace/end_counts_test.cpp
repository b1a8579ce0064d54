#include "core/trace/end_counts.hpp"

#include <gtest/gtest.h>

#include "core/socket/ip_text.hpp"

namespace kt {
namespace {

Endpoint endpoint(const char* address, std::uint16_t port) { return {*parse_ip_address(address), port}; }

EndCounters sample() {
    EndCounters c;
    c.totals = {{111, EndReason::keepalive_timeout, 3},
                {111, EndReason::closed, 40},
                {222, EndReason::reset_received, 5},
                {333, EndReason::reset_sent, 9}};  // a namespace not chosen
    c.destinations = {{111, EndReason::keepalive_timeout, endpoint("10.0.0.9", 5432), 3},
                      {222, EndReason::reset_received, endpoint("2001:db8::7", 443), 5},
                      {222, EndReason::reset_received, endpoint("10.0.0.8", 80), 1},
                      {333, EndReason::reset_sent, endpoint("10.0.0.1", 9), 9}};
    return c;
}

TEST(EndCountsTest, EveryReasonOfEachChosenNamespaceIsReportedZerosIncluded) {
    const ChosenNetns chosen[] = {{222, "pod-b"}, {111, "host"}, {444, "quiet"}};
    const auto r = end_counts_report(sample(), chosen, 10);
    ASSERT_EQ(r.netns.size(), 3u);
    EXPECT_EQ(r.netns[0].label, "pod-b");
    EXPECT_EQ(r.netns[0].by_reason[static_cast<std::size_t>(EndReason::reset_received)], 5u);
    EXPECT_EQ(r.netns[1].label, "host");
    EXPECT_EQ(r.netns[1].by_reason[static_cast<std::size_t>(EndReason::keepalive_timeout)], 3u);
    EXPECT_EQ(r.netns[1].by_reason[static_cast<std::size_t>(EndReason::closed)], 40u);
    EXPECT_EQ(r.netns[1].by_reason[static_cast<std::size_t>(EndReason::reset_sent)], 0u);
    for (auto n : r.netns[2].by_reason) EXPECT_EQ(n, 0u);
}

TEST(EndCountsTest, DestinationsAreTheLargestOfTheChosenNamespacesLargestFirst) {
    const ChosenNetns chosen[] = {{111, "host"}, {222, "pod-b"}};
    const auto r = end_counts_report(sample(), chosen, 2);
    ASSERT_EQ(r.destinations.size(), 2u);
    EXPECT_EQ(r.destinations[0].netns, "pod-b");
    EXPECT_EQ(r.destinations[0].destination, "[2001:db8::7]:443");
    EXPECT_EQ(r.destinations[0].count, 5u);
    EXPECT_EQ(r.destinations[1].destination, "10.0.0.9:5432");
    EXPECT_EQ(r.destinations[1].reason, EndReason::keepalive_timeout);
    // The namespace not chosen is left out at any top.
    for (const auto& d : end_counts_report(sample(), chosen, 100).destinations) EXPECT_NE(d.destination, "10.0.0.1:9");
}

TEST(EndCountsTest, TiesAreInAFixedOrderAndNothingChosenIsEmpty) {
    EndCounters c;
    c.destinations = {{1, EndReason::reset_received, endpoint("10.0.0.2", 80), 4},
                      {1, EndReason::keepalive_timeout, endpoint("10.0.0.3", 80), 4},
                      {1, EndReason::keepalive_timeout, endpoint("10.0.0.1", 80), 4}};
    const ChosenNetns chosen[] = {{1, "host"}};
    const auto r = end_counts_report(c, chosen, 3);
    ASSERT_EQ(r.destinations.size(), 3u);
    EXPECT_EQ(r.destinations[0].destination, "10.0.0.1:80");
    EXPECT_EQ(r.destinations[1].destination, "10.0.0.3:80");
    EXPECT_EQ(r.destinations[2].reason, EndReason::reset_received);
    EXPECT_TRUE(end_counts_report(sample(), {}, 10).netns.empty());
    EXPECT_TRUE(end_counts_report(sample(), {}, 10).destinations.empty());
}

}  // namespace
}  // namespace kt
