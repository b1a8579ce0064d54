#include "render/agent_metrics.hpp"

#include <gtest/gtest.h>

namespace kt::render {
namespace {

TEST(AgentMetricsTest, EveryRuleHasItsSeriesAndTheHistogramEndsInItsCount) {
    AgentStatus s;
    s.rules = {{"gateways", "aws-nlb", 3, 1, 12, 1}, {"say \"hi\"", "p", 0, 0, 0, 0}};
    s.observe_reconcile(0.004, 1800000000);
    s.observe_reconcile(0.07, 1800000001);
    s.matched_twice = 2;
    const auto text = agent_prometheus(s);
    EXPECT_NE(text.find("keepalive_tune_agent_cgroups_matched{rule=\"gateways\",profile=\"aws-nlb\"} 3\n"), std::string::npos);
    EXPECT_NE(text.find("keepalive_tune_agent_programs_attached{rule=\"gateways\",profile=\"aws-nlb\"} 1\n"), std::string::npos);
    EXPECT_NE(text.find("keepalive_tune_agent_connections_applied_total{rule=\"gateways\",profile=\"aws-nlb\"} 12\n"), std::string::npos);
    EXPECT_NE(text.find("rule=\"say \\\"hi\\\"\""), std::string::npos);
    EXPECT_NE(text.find("keepalive_tune_agent_reconcile_duration_seconds_bucket{le=\"0.005\"} 1\n"), std::string::npos);
    EXPECT_NE(text.find("keepalive_tune_agent_reconcile_duration_seconds_bucket{le=\"0.1\"} 2\n"), std::string::npos);
    EXPECT_NE(text.find("keepalive_tune_agent_reconcile_duration_seconds_bucket{le=\"+Inf\"} 2\n"), std::string::npos);
    EXPECT_NE(text.find("keepalive_tune_agent_reconcile_duration_seconds_count 2\n"), std::string::npos);
    EXPECT_NE(text.find("keepalive_tune_agent_last_reconcile_timestamp_seconds 1800000001\n"), std::string::npos);
    EXPECT_NE(text.find("keepalive_tune_agent_cgroups_matched_twice 2\n"), std::string::npos);
    EXPECT_NE(text.find("keepalive_tune_agent_healthy 1\n"), std::string::npos);
    s.policy_ok = false;
    EXPECT_NE(agent_prometheus(s).find("keepalive_tune_agent_healthy 0\n"), std::string::npos);
    EXPECT_NE(agent_prometheus(s).find("keepalive_tune_agent_policy_ok 0\n"), std::string::npos);
}

}  // namespace
}  // namespace kt::render
