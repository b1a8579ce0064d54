#include "core/profile/budget.hpp"

#include <gtest/gtest.h>

namespace kt {
namespace {

constexpr KeepaliveSettings k_2_1_3{true, 2, 1, 3};

TEST(BudgetTest, IdlePeerIsFoundAfterIdlePlusIntervalTimesCount) {
    auto d = idle_peer_detection(k_2_1_3, std::nullopt);
    EXPECT_EQ(d.ms, 5000u);
    EXPECT_EQ(d.limited_by, DetectionLimit::probe_count);
    EXPECT_EQ(idle_peer_detection({true, 7200, 75, 9}, std::nullopt).ms, 7875000u);
}

// Measured on Linux 6.18 (../shared KERNEL-FACTS): 2/1/3 + UTO 10000 ms -> 10.2 s, + UTO 3000 -> 3.04 s.
TEST(BudgetTest, UserTimeoutLongerThanProbingExtendsIt) {
    auto d = idle_peer_detection(k_2_1_3, 10000);
    EXPECT_EQ(d.ms, 10000u);
    EXPECT_EQ(d.limited_by, DetectionLimit::user_timeout);
}

TEST(BudgetTest, UserTimeoutShorterThanProbingCutsItShort) {
    EXPECT_EQ(idle_peer_detection(k_2_1_3, 3000).ms, 3000u);
}

TEST(BudgetTest, UserTimeoutBelowIdleStillWaitsForOneProbe) {
    // The reset needs one probe out: first probe at idle, reset at the next firing.
    EXPECT_EQ(idle_peer_detection(k_2_1_3, 500).ms, 3000u);
}

TEST(BudgetTest, UserTimeoutBetweenFiringsRoundsUpToTheNextFiring) {
    EXPECT_EQ(idle_peer_detection({true, 60, 20, 2}, 90000).ms, 100000u);
}

TEST(BudgetTest, ZeroUserTimeoutMeansOff) {
    EXPECT_EQ(idle_peer_detection(k_2_1_3, 0).limited_by, DetectionLimit::probe_count);
    EXPECT_EQ(unacked_data_detection(0).limited_by, DetectionLimit::retries);
}

TEST(BudgetTest, KeepaliveOffNeverFindsAnIdleDeadPeer) {
    auto d = idle_peer_detection({false, 60, 20, 2}, 30000);
    EXPECT_FALSE(d.ms.has_value());
    EXPECT_EQ(d.limited_by, DetectionLimit::never);
}

TEST(BudgetTest, OnlyTheUserTimeoutBoundsUnackedData) {
    EXPECT_EQ(unacked_data_detection(30000).ms, 30000u);
    EXPECT_FALSE(unacked_data_detection(std::nullopt).ms.has_value());
}

std::vector<Middlebox> catalogue() {
    return {{"nlb", "NLB", 350, "no", true, ""}, {"alb", "ALB", 60, "no", false, ""}, {"azure", "Azure", 240, "no", true, ""}};
}

TEST(BudgetTest, FirstProbeBeforeTheIdleTimeoutBeats) {
    auto c = catalogue();
    std::vector<std::string> path{"nlb", "azure"};
    auto lines = path_budget({true, 240, 30, 4}, path, c);
    ASSERT_EQ(lines.size(), 2u);
    EXPECT_EQ(lines[0].verdict, Verdict::beats);
    EXPECT_EQ(lines[0].margin_seconds, 110);
    EXPECT_EQ(lines[1].verdict, Verdict::loses);  // 240 is not below 240
    EXPECT_EQ(lines[1].margin_seconds, 0);
    EXPECT_TRUE(budget_loses(lines));
}

TEST(BudgetTest, MiddleboxesKeepaliveCannotRefreshAreFlaggedAndCountAsLosing) {
    auto c = catalogue();
    std::vector<std::string> path{"alb"};
    auto lines = path_budget({true, 5, 1, 1}, path, c);
    ASSERT_EQ(lines.size(), 1u);
    EXPECT_EQ(lines[0].verdict, Verdict::not_refreshed);
    EXPECT_TRUE(budget_loses(lines));
}

TEST(BudgetTest, KeepaliveOffLosesEverywhere) {
    auto c = catalogue();
    std::vector<std::string> path{"nlb"};
    EXPECT_EQ(path_budget({false, 1, 1, 1}, path, c)[0].verdict, Verdict::loses);
}

TEST(BudgetTest, HolesNameTheMissingUserTimeoutAndDisabledKeepalive) {
    Profile p;
    p.keepalive = {true, 60, 20, 2};
    EXPECT_EQ(profile_holes(p).size(), 1u);
    p.user_timeout_ms = 100000;
    EXPECT_TRUE(profile_holes(p).empty());
    p.keepalive.enabled = false;
    EXPECT_EQ(profile_holes(p).size(), 1u);
}

}  // namespace
}  // namespace kt
