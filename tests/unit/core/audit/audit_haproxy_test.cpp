// One fixture that breaks each rule and one that breaks none; every fixture passes haproxy -c
// (tests/e2e/audit_fixtures_test.cpp).
#include <gtest/gtest.h>

#include <algorithm>

#include "core/audit/audit.hpp"
#include "core/profile/catalogue.hpp"
#include "unit/core/audit/audit_fixtures.hpp"

namespace kt {
namespace {

using test::all_rules;
using test::audit_path;
using test::audit_fixture;
using test::rule_lines;
using Lines = std::vector<std::string>;


TEST(AuditHaproxyTest, ACleanConfigurationHasNoFindingEvenBehindAnNlbAndAnAlb) {
    EXPECT_EQ(all_rules(audit_fixture("haproxy/clean.cfg")), Lines{});
    EXPECT_EQ(all_rules(audit_fixture("haproxy/clean.cfg", audit_path("aws-nlb-tcp,aws-alb"))), Lines{});
}

TEST(AuditHaproxyTest, ReportsBothSidesWithUserTimeouts) {
    const auto r = audit_fixture("haproxy/clean.cfg");
    ASSERT_EQ(r.objects.size(), 2u);
    EXPECT_EQ(r.objects[0].kind, "haproxy frontend");
    EXPECT_EQ(r.objects[0].tcp.idle_seconds, 60u);
    EXPECT_EQ(r.objects[0].tcp.source, "explicit");
    EXPECT_EQ(r.objects[0].tcp.user_timeout_ms, 90000u);
    EXPECT_EQ(r.objects[1].side, Side::upstream);
    EXPECT_EQ(r.objects[1].tcp.count, 6u);
    EXPECT_EQ(r.objects[1].tcp.user_timeout_ms, 90000u);
}

TEST(AuditHaproxyTest, DefaultsAreInheritedByNameOrFromTheLastSection) {
    const auto r = audit_fixture("haproxy/named-defaults.cfg");
    EXPECT_EQ(all_rules(r), Lines{"A10@28"});
    const auto& fe_tcp = r.objects.at(0);
    EXPECT_EQ(fe_tcp.name, "fe_tcp");
    EXPECT_TRUE(fe_tcp.tcp.enabled);
    EXPECT_EQ(fe_tcp.tcp.idle_seconds, 60u);
    EXPECT_EQ(fe_tcp.tcp.interval_seconds, 75u);
    EXPECT_EQ(fe_tcp.tcp.source, "explicit + netns");
    EXPECT_EQ(fe_tcp.settings.at(0).value, "tcp");
    EXPECT_EQ(fe_tcp.settings.at(1).value, "1h");
}

// Keepalive times are seconds unless a unit says otherwise, rounded up; timeouts and tcp-ut are ms.
TEST(AuditHaproxyTest, ReadsUnitsAsHaproxyDoes) {
    const auto r = audit_fixture("haproxy/units.cfg");
    ASSERT_EQ(r.objects.size(), 2u);
    const auto& client = r.objects[0];
    EXPECT_EQ(client.tcp.idle_seconds, 2u);
    EXPECT_EQ(client.tcp.interval_seconds, 60u);
    EXPECT_EQ(client.tcp.count, 3u);
    const auto& server = r.objects[1];
    EXPECT_EQ(server.tcp.idle_seconds, 45u);
    EXPECT_EQ(server.tcp.interval_seconds, 75u);
    EXPECT_EQ(server.tcp.user_timeout_ms, 2500u);
    // timeout server 90 is 90 ms: far below the 45 s idle.
    EXPECT_EQ(all_rules(r), Lines{"A13@5"});
}

TEST(AuditHaproxyTest, A10TcpkaValuesWithoutTheOption) {
    EXPECT_EQ(all_rules(audit_fixture("haproxy/a10.cfg")), (Lines{"A10@6", "A10@13"}));
}

TEST(AuditHaproxyTest, A11KeywordsInASectionWithoutTheCapability) {
    EXPECT_EQ(rule_lines(audit_fixture("haproxy/a11.cfg"), "A11"), (Lines{"A11@9", "A11@10", "A11@15"}));
    EXPECT_EQ(rule_lines(audit_fixture("haproxy/clean.cfg"), "A11"), Lines{});
}

TEST(AuditHaproxyTest, A12ValuesOutsideTheKernelRange) {
    EXPECT_EQ(all_rules(audit_fixture("haproxy/a12.cfg")), (Lines{"A12@10", "A12@11"}));
}

TEST(AuditHaproxyTest, A13TimeoutsBelowTheIdleOrUnset) {
    EXPECT_EQ(all_rules(audit_fixture("haproxy/a13.cfg")), (Lines{"A13@6", "A13@4", "A13@13"}));
}

TEST(AuditHaproxyTest, A8IdleNotAboveAnHttpLoadBalancer) {
    EXPECT_EQ(rule_lines(audit_fixture("haproxy/named-defaults.cfg", audit_path("gcp-lb-backend")), "A8"), Lines{"A8@26"});
    EXPECT_EQ(rule_lines(audit_fixture("haproxy/named-defaults.cfg", audit_path("aws-alb")), "A8"), Lines{"A8@26"});
    EXPECT_EQ(rule_lines(audit_fixture("haproxy/clean.cfg", audit_path("aws-alb")), "A8"), Lines{});
}

TEST(AuditHaproxyTest, A9NoKeepaliveAndNoTimeoutBehindAnNlb) {
    const auto r = audit_fixture("haproxy/a13.cfg", audit_path("aws-nlb-tcp"));
    EXPECT_EQ(rule_lines(r, "A9"), Lines{"A9@6"});
    const auto a9 = std::find_if(r.findings.begin(), r.findings.end(), [](const AuditFinding& f) { return f.rule == "A9"; });
    ASSERT_NE(a9, r.findings.end());
    EXPECT_EQ(a9->fix, "option clitcpka\nclitcpka-idle 60s\nclitcpka-intvl 10s\nclitcpka-cnt 6\n");
}

// HAProxy 2.4's conditional blocks parse, every branch read (with a note that conditions are not
// evaluated); misplaced directives are errors at their line.
TEST(AuditHaproxyTest, ConditionalBlocksParseWithEveryBranchRead) {
    const auto r = audit_fixture("haproxy/conditional.cfg");
    ASSERT_EQ(r.findings.size(), 1u) << all_rules(r).size();
    EXPECT_EQ(r.findings[0].severity, Severity::info);
    EXPECT_EQ(r.findings[0].at.line, 4);
    EXPECT_NE(r.findings[0].evidence.find("read as if every branch applied"), std::string::npos);
    EXPECT_FALSE(parse_haproxy_config("global\n.endif\n", "h.cfg").has_value());
    EXPECT_FALSE(parse_haproxy_config("global\n.if defined(X)\n", "h.cfg").has_value());
    const auto bad = parse_haproxy_config("global\n.ifdef X\n", "h.cfg");
    ASSERT_FALSE(bad.has_value());
    EXPECT_EQ(bad.error().line(), "h.cfg:2:1: unknown directive '.ifdef'");
}

// contimeout, clitimeout and srvtimeout (refused since 2.1) are the timeouts they meant, with a
// note, not missing timeouts.
TEST(AuditHaproxyTest, PreTwoOneTimeoutsAreReadWithANote) {
    const auto config = parse_haproxy_config(
        "defaults\n    mode http\n    contimeout 5s\n    clitimeout 300s\n    srvtimeout 300s\n"
        "frontend fe\n    bind :8080\n    default_backend be\nbackend be\n    server s1 127.0.0.1:8081\n",
        "old.cfg");
    ASSERT_TRUE(config.has_value()) << config.error().line();
    const auto r = audit_haproxy(*config, "old.cfg", {});
    for (const auto& f : r.findings) {
        EXPECT_EQ(f.severity, Severity::info) << f.evidence;
        EXPECT_NE(f.evidence.find("before HAProxy 2.1"), std::string::npos) << f.evidence;
    }
    EXPECT_EQ(r.findings.size(), 3u);
}

}  // namespace
}  // namespace kt
