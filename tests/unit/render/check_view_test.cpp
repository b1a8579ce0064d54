#include "render/check_view.hpp"

#include <gtest/gtest.h>

#include <regex>

namespace kt::render {
namespace {

CheckResult sample(CheckStatus status) {
    CheckResult r;
    r.status = status;
    r.summary = "12 TIME_WAIT, worst port pressure 3.0% toward 10.0.0.1 -> 10.0.0.9:80";
    if (status != CheckStatus::ok) r.findings = {{status, "port pressure 91% toward a | b (crit 80%)"}, {CheckStatus::warning, "x"}};
    r.perfdata = {{"time_wait", 12, "", {}, 0.0, std::nullopt}, {"port_pressure", 3.25, "%", {50.0, 80.0}, 0.0, 100.0}};
    return r;
}

// Nagios plugin guidelines: SERVICE STATUS - text | 'label'=value[UOM];[warn];[crit];[min];[max] ...
const std::regex k_nagios_line(R"(KEEPALIVE-TUNE (OK|WARNING|CRITICAL|UNKNOWN) - [^|\n]+( \| ([A-Za-z_]+=[0-9.]+%?;[0-9.]*;[0-9.]*;[0-9.]*;[0-9.]* ?)+)?\n)");

TEST(CheckViewTest, NagiosOkLineCarriesTheSummaryAndPerfdata) {
    const auto line = check_nagios(sample(CheckStatus::ok));
    EXPECT_TRUE(std::regex_match(line, k_nagios_line)) << line;
    EXPECT_EQ(line, "KEEPALIVE-TUNE OK - 12 TIME_WAIT, worst port pressure 3.0% toward 10.0.0.1 -> 10.0.0.9:80 | "
                    "time_wait=12;;;0; port_pressure=3.25%;50;80;0;100\n");
}

TEST(CheckViewTest, NagiosProblemLineListsFindingsAndKeepsPipesOutOfTheText) {
    const auto line = check_nagios(sample(CheckStatus::critical));
    EXPECT_TRUE(std::regex_match(line, k_nagios_line)) << line;
    EXPECT_EQ(line.rfind("KEEPALIVE-TUNE CRITICAL - port pressure 91% toward a / b (crit 80%); x | ", 0), 0u) << line;
    const auto unknown = check_nagios_unknown("c.json: /ports-warn: bad\nsecond");
    EXPECT_TRUE(std::regex_match(unknown, k_nagios_line)) << unknown;
}

TEST(CheckViewTest, JsonHasStatusExitCodeAndFindings) {
    CheckInput in;
    const auto doc = check_json(sample(CheckStatus::warning), in, CheckThresholds{}, {});
    EXPECT_EQ(doc["schema"], "keepalive-tune.check.v1");
    EXPECT_EQ(doc["status"], "WARNING");
    EXPECT_EQ(doc["exit_code"], 1);
    EXPECT_EQ(doc["findings"].size(), 2u);
    EXPECT_EQ(doc["thresholds"]["ports_percent"]["crit"], 80.0);
    EXPECT_TRUE(doc["thresholds"]["timewait"]["warn"].is_null());
}

TEST(CheckViewTest, PrometheusCarriesStatusDeltasAndCompliance) {
    CheckInput in;
    TimewaitReport rep;
    rep.netns = "host";
    in.reports = {rep};
    in.deltas = {IntervalDelta{60, {{"TCPTimeWaitOverflow", 2}}}};
    in.compliance = Compliance{"web\"sockets", 3, 1, 0, "pidfd"};
    const auto text = check_prometheus(sample(CheckStatus::warning), in, 1700000000);
    EXPECT_NE(text.find("keepalive_tune_check_status 1\n"), std::string::npos);
    EXPECT_NE(text.find("keepalive_tune_check_timestamp_seconds 1700000000\n"), std::string::npos);
    EXPECT_NE(text.find("keepalive_tune_tcpext_delta{netns=\"host\",counter=\"TCPTimeWaitOverflow\"} 2\n"), std::string::npos);
    EXPECT_NE(text.find("keepalive_tune_profile_sockets{profile=\"web\\\"sockets\",state=\"drift\"} 1\n"), std::string::npos);
    EXPECT_NE(check_prometheus_unknown(5).find("\nkeepalive_tune_check_status 3\n"), std::string::npos);
}

TEST(CheckViewTest, ConnectionEndsAreCountersForEveryReasonAndTheTopDestinations) {
    EndCountsReport ends;
    ends.netns.push_back({"pod \"a\"", {}});
    ends.netns[0].by_reason[static_cast<std::size_t>(EndReason::keepalive_timeout)] = 2;
    ends.destinations.push_back({"pod \"a\"", EndReason::keepalive_timeout, "10.0.0.9:5432", 2});
    CheckInput in;
    in.connection_ends = ends;
    const auto text = check_prometheus(sample(CheckStatus::ok), in, 1700000000);
    EXPECT_NE(text.find("# TYPE keepalive_tune_connection_ends_total counter\n"), std::string::npos) << text;
    EXPECT_NE(text.find("keepalive_tune_connection_ends_total{netns=\"pod \\\"a\\\"\",reason=\"keepalive-timeout\"} 2\n"),
              std::string::npos)
        << text;
    // Every reason is a series from the start, at zero.
    for (const char* reason : {"retransmit-timeout", "reset-received", "reset-sent", "error", "closed"})
        EXPECT_NE(text.find("reason=\"" + std::string(reason) + "\"} 0\n"), std::string::npos) << reason;
    EXPECT_NE(text.find("keepalive_tune_connection_ends_by_destination_total{netns=\"pod \\\"a\\\"\",reason=\"keepalive-"
                        "timeout\",destination=\"10.0.0.9:5432\"} 2\n"),
              std::string::npos)
        << text;
    const auto json = check_json(sample(CheckStatus::ok), in, CheckThresholds{}, {});
    EXPECT_EQ(json["connection_ends"]["netns"][0]["by_reason"]["keepalive-timeout"], 2);
    EXPECT_EQ(json["connection_ends"]["destinations"][0]["destination"], "10.0.0.9:5432");
    // Without counters installed: no series, and null in JSON.
    EXPECT_EQ(check_prometheus(sample(CheckStatus::ok), CheckInput{}, 1).find("connection_ends"), std::string::npos);
    EXPECT_TRUE(check_json(sample(CheckStatus::ok), CheckInput{}, CheckThresholds{}, {})["connection_ends"].is_null());
}

}  // namespace
}  // namespace kt::render
