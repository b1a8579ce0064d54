#include "core/timewait/check_policy.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "core/socket/ip_text.hpp"

namespace kt {
namespace {

// One netns with `tw` TIME_WAIT of which `toward` go to one destination, a port range of
// `range` ports and `buckets` tcp_max_tw_buckets.
TimewaitReport report(std::uint64_t tw, std::uint64_t toward, std::uint32_t range = 100, std::int64_t buckets = 1000,
                      std::string netns = "host") {
    TimewaitTotals t;
    t.time_wait = tw;
    t.max_tw_buckets = buckets;
    t.port_range = PortRange{40000, static_cast<std::uint16_t>(40000 + range - 1)};
    std::vector<ClientDestination> clients;
    if (toward) {
        ClientDestination d;
        d.local = *parse_ip_address("10.0.0.1");
        d.peer = {*parse_ip_address("10.0.0.9"), 5432};
        d.time_wait = d.all_states = d.ports_in_use = toward;
        clients.push_back(d);
    }
    return build_timewait_report(std::move(netns), std::move(t), std::move(clients), {}, 10);
}

CheckResult evaluate(std::vector<TimewaitReport> reports, const CheckThresholds& t = {}) {
    CheckInput in;
    in.reports = std::move(reports);
    return evaluate_check(in, t);
}

TEST(CheckPolicyTest, PortPressureGoesFromOkToWarningToCriticalAboveTheDefaults) {
    EXPECT_EQ(evaluate({report(50, 50)}).status, CheckStatus::ok);  // 50% is not above 50
    const auto warn = evaluate({report(51, 51)});
    EXPECT_EQ(warn.status, CheckStatus::warning);
    ASSERT_EQ(warn.findings.size(), 1u);
    EXPECT_EQ(warn.findings[0].text, "port pressure 51% toward 10.0.0.1 -> 10.0.0.9:5432 (51 of 100 local ports) (warn 50%)");
    const auto crit = evaluate({report(81, 81)});
    EXPECT_EQ(crit.status, CheckStatus::critical);
    EXPECT_NE(crit.findings[0].text.find("(crit 80%)"), std::string::npos);
}

TEST(CheckPolicyTest, TimeWaitThresholdsAreOffUntilGiven) {
    EXPECT_EQ(evaluate({report(900, 0, 100, 100000)}).status, CheckStatus::ok);
    CheckThresholds t;
    t.time_wait = {100, 1000};
    t.buckets = {};
    EXPECT_EQ(evaluate({report(900, 0)}, t).status, CheckStatus::warning);
    EXPECT_EQ(evaluate({report(1001, 0, 100, 100000)}, t).status, CheckStatus::critical);
}

TEST(CheckPolicyTest, BucketShareIsJudgedInPercent) {
    const auto r = evaluate({report(900, 0, 100, 1000)});  // 90% of the buckets
    EXPECT_EQ(r.status, CheckStatus::critical);
    EXPECT_EQ(r.findings[0].text, "TIME_WAIT at 90% of tcp_max_tw_buckets 1000 (crit 80%)");
}

TEST(CheckPolicyTest, WorstFindingComesFirstAndSetsTheStatus) {
    CheckThresholds t;
    t.time_wait = {10, std::nullopt};
    const auto r = evaluate({report(90, 90)}, t);  // TIME_WAIT warning, ports critical
    ASSERT_EQ(r.findings.size(), 2u);
    EXPECT_EQ(r.status, CheckStatus::critical);
    EXPECT_EQ(r.findings[0].status, CheckStatus::critical);
    EXPECT_EQ(r.findings[1].status, CheckStatus::warning);
}

TEST(CheckPolicyTest, SeveralNamespacesNameTheOneAtFaultAndPerfdataTakesTheHighest) {
    const auto r = evaluate({report(10, 10, 100, 1000, "host"), report(60, 60, 100, 1000, "blue")});
    EXPECT_EQ(r.status, CheckStatus::warning);
    ASSERT_EQ(r.findings.size(), 1u);
    EXPECT_EQ(r.findings[0].text.rfind("netns blue: port pressure 60%", 0), 0u) << r.findings[0].text;
    EXPECT_EQ(r.perfdata[0].label, "time_wait");
    EXPECT_EQ(r.perfdata[0].value, 60);
    EXPECT_EQ(r.perfdata[1].label, "port_pressure");
    EXPECT_EQ(r.perfdata[1].value, 60);
}

TEST(CheckPolicyTest, OverflowGrowthWarnsAndNoGrowthDoesNot) {
    CheckInput in;
    in.reports = {report(1, 0)};
    in.deltas = {IntervalDelta{60, {{"TCPTimeWaitOverflow", 0}, {"TW", 120}}}};
    auto r = evaluate_check(in, {});
    EXPECT_EQ(r.status, CheckStatus::ok);
    ASSERT_EQ(r.perfdata.back().label, "tw_per_s");
    EXPECT_EQ(r.perfdata.back().value, 2);
    in.deltas = {IntervalDelta{60, {{"TCPTimeWaitOverflow", 7}}}};
    r = evaluate_check(in, {});
    EXPECT_EQ(r.status, CheckStatus::warning);
    EXPECT_NE(r.findings[0].text.find("overflowed 7 times in the last 60 s"), std::string::npos);
}

TEST(CheckPolicyTest, KeepaliveDriftWarns) {
    CheckInput in;
    in.reports = {report(0, 0)};
    in.compliance = Compliance{"aws-nlb", 8, 2, 0, "bpf"};
    const auto r = evaluate_check(in, {});
    EXPECT_EQ(r.status, CheckStatus::warning);
    EXPECT_EQ(r.findings[0].text, "keepalive drift: 2 of 10 socket(s) differ from profile aws-nlb");
    in.compliance->drift = 0;
    EXPECT_EQ(evaluate_check(in, {}).status, CheckStatus::ok);
}

TEST(CheckPolicyTest, ThresholdValidationCatchesRangesAndOrder) {
    CheckThresholds t;
    t.ports = {90, 80};
    t.buckets = {-1, 101};
    const auto e = validate_thresholds(t);
    ASSERT_EQ(e.size(), 3u);
    EXPECT_EQ(e[0].line(), "ports-warn: 90 is above ports-crit 80: a warning must come before the critical state");
    EXPECT_EQ(e[1].line(), "buckets-warn: -1 is out of range 0..100");
    EXPECT_EQ(e[2].line(), "buckets-crit: 101 is out of range 0..100");
}

TEST(CheckPolicyTest, ConfigOverridesDefaultsAndNullTurnsAThresholdOff) {
    auto t = parse_check_config(R"({"ports-warn": 60, "buckets-crit": null, "timewait-crit": 5000})", "c.json", {});
    ASSERT_TRUE(t.has_value());
    EXPECT_EQ(t->ports.warn, 60);
    EXPECT_EQ(t->ports.crit, 80);
    EXPECT_FALSE(t->buckets.crit.has_value());
    EXPECT_EQ(t->time_wait.crit, 5000);
}

TEST(CheckPolicyTest, NanIsOutOfRangeAndNeverTurnsAThresholdOff) {
    CheckThresholds t;
    set_threshold(t, "ports-warn", std::nan(""));
    set_threshold(t, "timewait-crit", std::nan(""));
    set_threshold(t, "timewait-warn", 5);
    const auto e = validate_thresholds(t);
    ASSERT_EQ(e.size(), 2u);
    EXPECT_EQ(e[0].line(), "timewait-crit: nan is out of range 0..4294967295");
    EXPECT_EQ(e[1].line(), "ports-warn: nan is out of range 0..100");
}

TEST(CheckPolicyTest, HealthThresholdsComeFromTheConfigAndJudgeEachNamespace) {
    auto t = parse_check_config(R"({"peer-closed-warn": 2, "peer-closed-crit": 10, "dropped-crit": 0, "retransmitting-warn": 1.5})",
                                "c.json", {});
    ASSERT_FALSE(t.has_value());
    EXPECT_EQ(t.error()[0].line(), "c.json: /retransmitting-warn: expected a whole number of sockets, got 1.5");
    t = parse_check_config(R"({"peer-closed-warn": 2, "peer-closed-crit": 10, "dropped-crit": 0})", "c.json", {});
    ASSERT_TRUE(t.has_value());
    HealthReport health;
    NetnsHealth ns;
    ns.label = "pod";
    ns.counts[HealthVerdict::peer_closed] = 3;
    ns.counts[HealthVerdict::likely_dropped] = 1;
    health.netns.push_back(ns);
    CheckInput in;
    in.health = &health;
    const auto r = evaluate_check(in, *t);
    EXPECT_EQ(r.status, CheckStatus::critical);
    ASSERT_EQ(r.findings.size(), 2u);
    EXPECT_EQ(r.findings[0].text, "1 connection(s) likely dropped by a middlebox (crit 0)");
    EXPECT_EQ(r.findings[1].text, "3 connection(s) closed by the peer and still held (CLOSE_WAIT) (warn 2)");
}

TEST(CheckPolicyTest, TimewaitThresholdsInAConfigAreWholeNumbers) {
    auto t = parse_check_config(R"({"timewait-warn": 1.5})", "c.json", {});
    ASSERT_FALSE(t.has_value());
    EXPECT_EQ(t.error()[0].line(), "c.json: /timewait-warn: expected a whole number of sockets, got 1.5");
    EXPECT_TRUE(parse_check_config(R"({"timewait-warn": 1e3})", "c.json", {}).has_value());
}

TEST(CheckPolicyTest, ConfigProblemsAreAllReportedWithFileAndPath) {
    auto t = parse_check_config(R"({"port-warn": 60, "ports-crit": "high", "buckets-warn": 120})", "c.json", {});
    ASSERT_FALSE(t.has_value());
    // 120 is reported once: out of range, not again as above buckets-crit.
    ASSERT_EQ(t.error().size(), 3u);
    EXPECT_EQ(t.error()[0].line(), "c.json: /port-warn: unknown key (did you mean \"ports-warn\"?)");
    EXPECT_EQ(t.error()[1].line(), "c.json: /ports-crit: expected a number or null, got string \"high\"");
    EXPECT_EQ(t.error()[2].line(), "c.json: /buckets-warn: 120 is out of range 0..100");
    auto broken = parse_check_config("{\"ports-warn\": 60,}", "c.json", {});
    ASSERT_FALSE(broken.has_value());
    EXPECT_EQ(broken.error()[0].what.rfind("c.json:1:", 0), 0u);
    EXPECT_FALSE(parse_check_config("[1]", "c.json", {}).has_value());
}

}  // namespace
}  // namespace kt
