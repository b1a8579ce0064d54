// One fixture that breaks each rule and one that breaks none; the fixtures pass nginx -t
// (tests/e2e/audit_fixtures_test.cpp) except rejected-*, which nginx refuses on purpose.
#include <gtest/gtest.h>

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


TEST(AuditNginxTest, ACleanConfigurationHasNoFindingEvenBehindAnNlbAndAnAlb) {
    EXPECT_EQ(all_rules(audit_fixture("nginx/clean.conf")), Lines{});
    EXPECT_EQ(all_rules(audit_fixture("nginx/clean.conf", audit_path("aws-nlb-tcp,aws-alb"))), Lines{});
}

TEST(AuditNginxTest, ReportsWhatEachServerAndUpstreamGets) {
    const auto r = audit_fixture("nginx/clean.conf");
    ASSERT_EQ(r.objects.size(), 3u);
    const auto& up = r.objects[0];
    EXPECT_EQ(up.kind, "nginx upstream");
    EXPECT_EQ(up.settings.at(0).value, "32");
    const auto& server = r.objects[1];
    EXPECT_EQ(server.name, "clean.example");
    EXPECT_TRUE(server.tcp.enabled);
    EXPECT_EQ(server.tcp.idle_seconds, 60u);
    EXPECT_EQ(server.tcp.source, "explicit");
    EXPECT_EQ(audit_detail::detection_seconds(server.tcp), 120u);
    EXPECT_FALSE(r.objects[2].tcp.enabled);
}

// Each listen is its own socket: one object each, named after it, with its own keepalive, and
// A9 only where that listen has none.
TEST(AuditNginxTest, EachListenOfAServerIsItsOwnObject) {
    const auto r = audit_fixture("nginx/two-listens.conf", audit_path("aws-nlb-tcp"));
    ASSERT_EQ(r.objects.size(), 2u);
    EXPECT_EQ(r.objects[0].name, "dual.example listen 127.0.0.1:18080");
    EXPECT_TRUE(r.objects[0].tcp.enabled);
    EXPECT_EQ(r.objects[0].tcp.idle_seconds, 30u);
    EXPECT_EQ(r.objects[0].at.line, 6);
    EXPECT_EQ(r.objects[1].name, "dual.example listen 127.0.0.1:18081");
    EXPECT_FALSE(r.objects[1].tcp.enabled);
    EXPECT_EQ(r.objects[1].at.line, 7);
    EXPECT_EQ(all_rules(r), Lines{"A9@7"});
}

// A conf.d or sites-enabled fragment is audited as the http {} context it is included in, and
// the report says so.
TEST(AuditNginxTest, AFragmentIsAuditedAsTheHttpContextItIsIncludedIn) {
    const auto r = audit_fixture("nginx-fragments/sites-enabled-app.conf", audit_path("aws-nlb-tcp"));
    ASSERT_EQ(r.notes.size(), 1u);
    EXPECT_NE(r.notes[0].find("read as the http {} context"), std::string::npos);
    ASSERT_EQ(r.objects.size(), 2u);
    EXPECT_EQ(r.objects[0].kind, "nginx upstream");
    EXPECT_EQ(r.objects[1].name, "app.example");
    // An upstream without keepalive (A5), a location without HTTP/1.1 (A5), a listener without
    // keepalive behind the NLB (A9): what the same lines inside http {} get.
    EXPECT_EQ(rule_lines(r, "A5").size(), 2u) << all_rules(r).size();
    EXPECT_EQ(rule_lines(r, "A9"), Lines{"A9@6"});
}

TEST(AuditNginxTest, A1SoKeepaliveOutOfKernelRangeOrRefused) {
    EXPECT_EQ(rule_lines(audit_fixture("nginx/a1.conf"), "A1"), (Lines{"A1@4", "A1@5"}));
    const auto refused = audit_fixture("nginx/rejected-a1.conf");
    EXPECT_EQ(all_rules(refused), Lines{"A1@4"});
    EXPECT_NE(refused.findings.at(0).evidence.find("invalid so_keepalive value"), std::string::npos);
    EXPECT_EQ(refused.findings.at(0).fix, "listen 8080 so_keepalive=60:10:6;\n");
}

TEST(AuditNginxTest, A2SoKeepaliveOnAQuicListener) {
    EXPECT_EQ(all_rules(audit_fixture("nginx/rejected-a2.conf")), Lines{"A2@4"});
}

TEST(AuditNginxTest, A3ProxySocketKeepaliveTakesTheNetnsValues) {
    const auto r = audit_fixture("nginx/a3.conf");
    EXPECT_EQ(all_rules(r), (Lines{"A3@3", "A3@14"}));
    EXPECT_NE(r.findings.at(0).evidence.find("grpc_socket_keepalive on only sets SO_KEEPALIVE"), std::string::npos);
    EXPECT_NE(r.findings.at(1).evidence.find("7200 s idle"), std::string::npos) << r.findings.at(1).evidence;
    EXPECT_EQ(r.findings.at(0).fix_syntax, "sysctl");
    EXPECT_NE(r.findings.at(0).fix.find("net.ipv4.tcp_keepalive_time = 60"), std::string::npos);
}

TEST(AuditNginxTest, A4ProxyPassToALiteralAddressButNotToAVariable) {
    const auto r = audit_fixture("nginx/a4.conf");
    EXPECT_EQ(all_rules(r), Lines{"A4@6"});
    EXPECT_NE(r.findings.at(0).fix.find("proxy_pass http://backend10_0_0_5_9000/v1/;"), std::string::npos)
        << r.findings.at(0).fix;
}

TEST(AuditNginxTest, A5UpstreamWithoutPoolOrLocationWithoutHttp11AndEmptyConnection) {
    const auto r = audit_fixture("nginx/a5.conf");
    EXPECT_EQ(all_rules(r), (Lines{"A5@3", "A5@19", "A5@24"}));
    EXPECT_NE(r.findings[1].evidence.find("proxy_http_version is unset"), std::string::npos);
    EXPECT_NE(r.findings[2].evidence.find("Connection \"close\""), std::string::npos) << r.findings[2].evidence;
}

TEST(AuditNginxTest, A6KeepaliveRequestsBelow1000OnBothSides) {
    EXPECT_EQ(all_rules(audit_fixture("nginx/a6.conf")), (Lines{"A6@3", "A6@7"}));
}

TEST(AuditNginxTest, A7UpstreamPoolOutlivesTheAuditedBackend) {
    const auto r = audit_fixture("nginx/a7.conf");
    EXPECT_EQ(all_rules(r), Lines{"A7@3"});
    EXPECT_NE(r.findings.at(0).fix.find("keepalive_timeout 4s;"), std::string::npos) << r.findings.at(0).fix;
}

TEST(AuditNginxTest, A8KeepaliveTimeoutNotAboveTheAlb) {
    EXPECT_EQ(rule_lines(audit_fixture("nginx/a7.conf", audit_path("aws-alb")), "A8"), Lines{"A8@15"});
    EXPECT_EQ(rule_lines(audit_fixture("nginx/a7.conf", audit_path("alb-long=10s")), "A8"), Lines{});
}

TEST(AuditNginxTest, A9StreamKeepaliveIdleAboveTheNlb) {
    EXPECT_EQ(all_rules(audit_fixture("nginx/stream.conf")), Lines{});
    const auto r = audit_fixture("nginx/stream.conf", audit_path("aws-nlb-tcp"));
    EXPECT_EQ(all_rules(r), Lines{"A9@3"});
    EXPECT_EQ(r.findings.at(0).fix, "listen 5432 so_keepalive=60:10:6;\n");
}

TEST(AuditTest, GuessesTheTypeFromContent) {
    EXPECT_EQ(guess_config_type(test::read_audit_fixture("nginx/clean.conf")), ConfigType::nginx);
    EXPECT_EQ(guess_config_type(test::read_audit_fixture("haproxy/clean.cfg")), ConfigType::haproxy);
    EXPECT_EQ(guess_config_type("just words\n"), std::nullopt);
}

TEST(AuditTest, SeveritiesOrderAndParse) {
    EXPECT_EQ(parse_severity("medium"), Severity::medium);
    EXPECT_FALSE(parse_severity("critical").has_value());
    EXPECT_LT(Severity::medium, Severity::high);
    EXPECT_EQ(worst_severity(audit_fixture("nginx/a6.conf").findings), Severity::medium);
}

}  // namespace
}  // namespace kt
