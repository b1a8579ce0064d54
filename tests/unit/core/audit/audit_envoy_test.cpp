// Envoy: one fixture that breaks each rule and one that breaks none, and the forms the
// listeners and clusters come in (bootstrap, config_dump with int64 as strings).
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
using test::audit_fixture_in;
using test::rule_lines;
using Lines = std::vector<std::string>;


AuditContext on_envoy(unsigned minor) {
    AuditContext c;
    c.envoy_version = EnvoyVersion{1, minor};
    return c;
}

const AuditFinding& first(const AuditReport& r, const std::string& rule) {
    static const AuditFinding none;
    const auto it = std::find_if(r.findings.begin(), r.findings.end(), [&](const AuditFinding& f) { return f.rule == rule; });
    EXPECT_NE(it, r.findings.end()) << rule;
    return it == r.findings.end() ? none : *it;
}

TEST(AuditEnvoyTest, ACleanBootstrapHasNoFindingEvenBehindAnNlbAndAnAlb) {
    EXPECT_EQ(all_rules(audit_fixture("envoy/clean.yaml")), Lines{});
    const auto r = audit_fixture("envoy/clean.yaml", audit_path("aws-nlb-tcp,aws-alb"));
    EXPECT_EQ(all_rules(r), Lines{});
    ASSERT_EQ(r.objects.size(), 2u);
    EXPECT_EQ(r.objects[0].kind, "envoy listener");
    EXPECT_EQ(r.objects[0].at.line, 5u);
    EXPECT_TRUE(r.objects[0].tcp.enabled);
    EXPECT_EQ(r.objects[0].tcp.idle_seconds, 60u);
    EXPECT_EQ(r.objects[0].tcp.source, "explicit");
    EXPECT_EQ(r.objects[1].side, Side::upstream);
    EXPECT_EQ(r.objects[1].tcp.count, 6u);
}

TEST(AuditEnvoyTest, A14ListenerKeepaliveBefore137AndValuesInMilliseconds) {
    EXPECT_EQ(all_rules(audit_fixture("envoy/a14.yaml")), Lines{"A14@7"});
    const auto old = audit_fixture_in("envoy/a14.yaml", on_envoy(36));
    EXPECT_EQ(all_rules(old), (Lines{"A14@6", "A14@7"}));
    // The fix for an old Envoy is raw socket options, through `profile render --for envoy`.
    const auto& fix = first(old, "A14").fix;
    EXPECT_NE(fix.find("- name: ingress\n"), std::string::npos) << fix;
    EXPECT_NE(fix.find("level: 1, name: 9"), std::string::npos) << fix;
    EXPECT_EQ(fix.find("tcp_keepalive:"), std::string::npos) << fix;
    EXPECT_EQ(all_rules(audit_fixture("envoy/clean.yaml")), Lines{});
}

TEST(AuditEnvoyTest, A15AZeroFieldTurnsKeepaliveOffFrom137) {
    const auto r = audit_fixture("envoy/a15.yaml");
    EXPECT_EQ(all_rules(r), Lines{"A15@10"});
    const auto& cluster = r.objects.at(1);
    EXPECT_EQ(cluster.name, "db");
    EXPECT_FALSE(cluster.tcp.enabled);
    // The tcp_proxy-only cluster has no HTTP idle timeout to judge (no A17).
    EXPECT_EQ(rule_lines(r, "A17"), Lines{});
    const auto old = audit_fixture_in("envoy/a15.yaml", on_envoy(36));
    EXPECT_EQ(all_rules(old), Lines{"A15@10"});
    EXPECT_TRUE(old.objects.at(1).tcp.enabled);
}

TEST(AuditEnvoyTest, A16KeepaliveOptionsAtStateListeningOrWithoutReusePort) {
    EXPECT_EQ(all_rules(audit_fixture("envoy/a16.yaml")), (Lines{"A16@8", "A16@9", "A16@6"}));
    EXPECT_EQ(rule_lines(audit_fixture("envoy/a15.yaml"), "A16"), Lines{});
}

// A17 only where an HTTP connection manager uses the cluster; where no listener in the file
// shows how a cluster is used, the finding is conditional and low.
// Envoy reads proto3 JSON names (socketOptions, tcpKeepalive, ...) as well as the protos' own,
// and Envoy Gateway and xDS dumps write them: the same values are read from either.
TEST(AuditEnvoyTest, Proto3JsonNamesAreReadAsTheProtosOwn) {
    const auto r = audit_fixture("envoy/proto3-json.json");
    ASSERT_EQ(r.objects.size(), 2u);
    EXPECT_EQ(r.objects[0].kind, "envoy listener");
    EXPECT_TRUE(r.objects[0].tcp.enabled);
    EXPECT_EQ(r.objects[0].tcp.idle_seconds, 45u);
    EXPECT_EQ(r.objects[0].tcp.interval_seconds, 15u);
    EXPECT_EQ(r.objects[0].tcp.count, 3u);
    EXPECT_EQ(r.objects[1].kind, "envoy cluster");
    EXPECT_TRUE(r.objects[1].tcp.enabled);
    EXPECT_EQ(r.objects[1].tcp.idle_seconds, 60u);
    EXPECT_EQ(all_rules(r), Lines{"A17@42"}) << "the cluster's idleTimeout 0s is read as disabled";
    EXPECT_EQ(guess_config_type("{\"staticResources\": {\"clusters\": []}}"), ConfigType::envoy);
}

TEST(AuditEnvoyTest, A17OnlyForClustersAnHttpConnectionManagerUses) {
    const auto r = audit_fixture("envoy/a17-filters.yaml");
    ASSERT_EQ(rule_lines(r, "A17").size(), 1u) << all_rules(r).size();
    for (const auto& f : r.findings)
        if (f.rule == "A17") {
            EXPECT_NE(f.evidence.find("cluster web "), std::string::npos) << f.evidence;
            EXPECT_EQ(f.severity, Severity::high);
        }
    // Clusters alone: "unset" speaks no declared HTTP and no listener shows its use (low);
    // "disabled" and "thirty" set HTTP options, so they are HTTP clusters (high).
    const auto alone = audit_fixture("envoy/a17.yaml");
    ASSERT_EQ(all_rules(alone), (Lines{"A17@4", "A17@13"}));
    EXPECT_EQ(alone.findings[0].severity, Severity::low);
    EXPECT_NE(alone.findings[0].evidence.find("if an HTTP connection manager routes to it"), std::string::npos);
    EXPECT_EQ(alone.findings[1].severity, Severity::high);
}

TEST(AuditEnvoyTest, A17UpstreamIdleUnsetDisabledOrNotBelowTheBackend) {
    EXPECT_EQ(all_rules(audit_fixture("envoy/a17.yaml")), (Lines{"A17@4", "A17@13"}));
    AuditContext c;
    c.backend_idle_ms = 10000;
    const auto r = audit_fixture_in("envoy/a17.yaml", c);
    EXPECT_EQ(all_rules(r), (Lines{"A17@4", "A17@13", "A17@18"}));
    EXPECT_NE(r.findings.back().fix.find("idle_timeout: 9s"), std::string::npos) << r.findings.back().fix;
    c.backend_idle_ms = 60000;
    EXPECT_EQ(all_rules(audit_fixture_in("envoy/a17.yaml", c)), (Lines{"A17@4", "A17@13"}));
}

TEST(AuditEnvoyTest, A18TcpProxyIdleUnsetWithoutKeepaliveOrDisabled) {
    EXPECT_EQ(all_rules(audit_fixture("envoy/a18.yaml")), (Lines{"A18@9", "A18@23"}));
    EXPECT_EQ(rule_lines(audit_fixture("envoy/a15.yaml"), "A18"), Lines{});
}

TEST(AuditEnvoyTest, A23Http2PingsAreReportedAsNotTcpKeepalive) {
    const auto r = audit_fixture("envoy/a23.yaml");
    EXPECT_EQ(all_rules(r), (Lines{"A23@15", "A23@28"}));
    EXPECT_EQ(first(r, "A23").severity, Severity::info);
    EXPECT_EQ(rule_lines(audit_fixture("envoy/clean.yaml"), "A23"), Lines{});
}

TEST(AuditEnvoyTest, A8A9ListenersAgainstThePath) {
    // No keepalive and the tcp_proxy's 1 h default idle timeout behind an NLB; the listener that
    // never times out has keepalive at 60 s.
    EXPECT_EQ(rule_lines(audit_fixture("envoy/a18.yaml", audit_path("aws-nlb-tcp")), "A9"), Lines{"A9@4"});
    EXPECT_EQ(rule_lines(audit_fixture("envoy/clean.yaml", audit_path("aws-nlb-tcp")), "A9"), Lines{});
    // An HTTP idle timeout of 120 s behind Google's 600 s backend keep-alive; 75 s behind an ALB's 60 s is fine.
    const auto dump = audit_fixture("envoy/config-dump.json", audit_path("gcp-lb-backend"));
    EXPECT_EQ(rule_lines(dump, "A8"), Lines{"A8@46"});
    EXPECT_NE(first(dump, "A8").fix.find("idle_timeout: 605s"), std::string::npos) << first(dump, "A8").fix;
    EXPECT_EQ(rule_lines(audit_fixture("envoy/clean.yaml", audit_path("aws-alb")), "A8"), Lines{});
}

TEST(AuditEnvoyTest, ConfigDumpWithInt64AsStrings) {
    const auto r = audit_fixture("envoy/config-dump.json");
    ASSERT_EQ(r.objects.size(), 3u);
    const auto& listener = r.objects[0];
    EXPECT_EQ(listener.name, "0.0.0.0_8080");
    EXPECT_TRUE(listener.tcp.enabled);
    EXPECT_EQ(listener.tcp.idle_seconds, 30u);
    EXPECT_EQ(listener.tcp.interval_seconds, 5u);
    EXPECT_EQ(listener.tcp.count, 3u);
    EXPECT_EQ(listener.tcp.user_timeout_ms, 45000u);
    EXPECT_EQ(r.objects[1].name, "xds-grpc");
    EXPECT_EQ(r.objects[1].tcp.idle_seconds, 300u);
    EXPECT_EQ(r.objects[1].settings.back().value, "3.5s");
    // The bootstrap dump repeats static clusters and is skipped.
    EXPECT_EQ(r.objects[2].name, "outbound|8080||backend.default.svc.cluster.local");
    EXPECT_EQ(all_rules(r), Lines{"A17@30"});
}

TEST(AuditEnvoyTest, ParseErrorsAndFilesWithoutListenersOrClusters) {
    auto bad = parse_envoy_config("static_resources:\n  listeners:\n  - name: [\n", "bad.yaml");
    ASSERT_FALSE(bad.has_value());
    EXPECT_TRUE(bad.error().what.starts_with("bad.yaml:")) << bad.error().line();
    auto empty = parse_envoy_config("dynamic_resources: {ads_config: {}}\n", "ads.yaml");
    ASSERT_FALSE(empty.has_value());
    EXPECT_NE(empty.error().why.find("config_dump"), std::string::npos);
    auto single = parse_envoy_config(
        "\"@type\": type.googleapis.com/envoy.config.cluster.v3.Cluster\nname: one\nconnect_timeout: 1s\n", "c.yaml");
    ASSERT_TRUE(single.has_value());
    EXPECT_EQ(single->clusters.size(), 1u);
}

}  // namespace
}  // namespace kt
