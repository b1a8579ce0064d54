#include "core/timewait/check_state.hpp"

#include <gtest/gtest.h>

namespace kt {
namespace {

CheckState state(std::int64_t time_ms, std::uint64_t tw, std::uint64_t overflow, std::string boot = "b1") {
    CheckState s;
    s.boot_id = std::move(boot);
    s.time_ms = time_ms;
    s.netns["host"] = {{"TW", tw}, {"TCPTimeWaitOverflow", overflow}};
    return s;
}

TEST(CheckStateTest, RoundTripsThroughItsText) {
    const auto s = state(1700000000123, 42, 3);
    auto back = parse_check_state(check_state_text(s), "state.json");
    ASSERT_TRUE(back.has_value()) << back.error().line();
    EXPECT_EQ(back->boot_id, "b1");
    EXPECT_EQ(back->time_ms, 1700000000123);
    EXPECT_EQ(back->netns.at("host").at("TW"), 42u);
}

// Found by the fuzzer: a float too large for an integer was converted without a range check.
TEST(CheckStateTest, NumbersOfTheWrongKindAreAMalformedStateNotUndefinedBehaviour) {
    const std::string head = R"({"schema": "keepalive-tune.check-state.v1", "boot_id": "x", )";
    for (const char* bad : {R"("time_ms": 1.7e40, "netns": {})", R"("time_ms": 1, "netns": {"host": {"TW": -5}})",
                            R"("time_ms": 1, "netns": {"host": {"TW": 1e30}})"}) {
        auto r = parse_check_state(head + bad + "}", "state.json");
        ASSERT_FALSE(r.has_value()) << bad;
        EXPECT_NE(r.error().why.find("malformed state"), std::string::npos) << r.error().why;
    }
}

TEST(CheckStateTest, DeltaIsTheGrowthOverTheInterval) {
    const auto before = state(1000, 100, 2), now = state(61000, 250, 5);
    std::string why;
    auto d = interval_delta(&before, now, "host", why);
    ASSERT_TRUE(d.has_value()) << why;
    EXPECT_DOUBLE_EQ(d->seconds, 60.0);
    EXPECT_EQ(d->counters.at("TW"), 150u);
    EXPECT_EQ(d->counters.at("TCPTimeWaitOverflow"), 3u);
}

TEST(CheckStateTest, EachReasonForANewBaselineIsNamed) {
    const auto now = state(61000, 250, 5);
    std::string why;
    EXPECT_FALSE(interval_delta(nullptr, now, "host", why));
    EXPECT_EQ(why, "first run");
    const auto rebooted = state(1000, 100, 2, "b0");
    EXPECT_FALSE(interval_delta(&rebooted, now, "host", why));
    EXPECT_EQ(why, "rebooted since the last run");
    const auto later = state(90000, 100, 2);
    EXPECT_FALSE(interval_delta(&later, now, "host", why));
    EXPECT_EQ(why, "the clock went back since the last run");
    const auto higher = state(1000, 900, 2);
    EXPECT_FALSE(interval_delta(&higher, now, "host", why));
    EXPECT_EQ(why, "counter TW went backwards (netns recreated or counters reset)");
    EXPECT_FALSE(interval_delta(&higher, now, "blue", why));
    EXPECT_EQ(why, "netns not seen in the last run");
}

TEST(CheckStateTest, ForeignOrBrokenFilesAreRejectedWithTheirName) {
    EXPECT_FALSE(parse_check_state("{}", "s.json").has_value());
    EXPECT_FALSE(parse_check_state(R"({"schema": "keepalive-tune.check-state.v1", "boot_id": 1})", "s.json").has_value());
    auto e = parse_check_state("garbage", "s.json");
    ASSERT_FALSE(e.has_value());
    EXPECT_EQ(e.error().what.rfind("s.json", 0), 0u);
}

}  // namespace
}  // namespace kt
