#include "core/change/timer_check.hpp"

#include <gtest/gtest.h>

namespace kt {
namespace {

Profile profile() {
    Profile p;
    p.keepalive = {true, 60, 20, 2};
    return p;
}

constexpr std::uint8_t k_established = 1;

TEST(TimerCheckTest, ATimerDueWithinTheIdleIsFine) {
    EXPECT_FALSE(check_keepalive_timer(k_established, DiagTimer::keepalive, 59000, profile()).has_value());
}

TEST(TimerCheckTest, ATimerArmedForTheOldIdleIsDrift) {
    auto finding = check_keepalive_timer(k_established, DiagTimer::keepalive, 7100000, profile());
    ASSERT_TRUE(finding.has_value());
    EXPECT_NE(finding->find("later than the profile's idle of 1m"), std::string::npos) << *finding;
}

TEST(TimerCheckTest, NoTimerWhenKeepaliveShouldRunIsDrift) {
    EXPECT_TRUE(check_keepalive_timer(k_established, DiagTimer::none, 0, profile()).has_value());
}

TEST(TimerCheckTest, HiddenTimersAndOtherStatesSayNothing) {
    EXPECT_FALSE(check_keepalive_timer(k_established, DiagTimer::retransmit, 200, profile()).has_value());
    EXPECT_FALSE(check_keepalive_timer(10, DiagTimer::none, 0, profile()).has_value());
    Profile off = profile();
    off.keepalive.enabled = false;
    EXPECT_FALSE(check_keepalive_timer(k_established, DiagTimer::none, 0, off).has_value());
}

}  // namespace
}  // namespace kt
