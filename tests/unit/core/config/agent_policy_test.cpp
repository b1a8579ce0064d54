#include "core/config/agent_policy.hpp"

#include <gtest/gtest.h>

#include "core/socket/socket_role.hpp"

namespace kt {
namespace {

const char* const k_policy = R"(schema: keepalive-tune.policy.v1
rules:
  - name: gateways
    profile: aws-nlb
    match:
      cgroup: "system.slice/nginx.service"
  - name: ingress
    profile: /etc/keepalive-tune/profiles/ingress.json
    match:
      pod: "ingress-nginx/ingress-*"
      container: controller
    roles: [accepted, upstream]
    existing: false
    override_app: yes
metrics:
  listen: 127.0.0.1:9977
health:
  every: 1m30s
  paths: /etc/keepalive-tune/paths
)";

std::string error_of(std::string_view text) {
    auto p = parse_agent_policy(text, "policy.yaml");
    EXPECT_FALSE(p.has_value()) << text;
    return p ? std::string() : p.error().line();
}

TEST(AgentPolicyTest, ReadsRulesMetricsAndHealthWithDefaults) {
    auto p = parse_agent_policy(k_policy, "policy.yaml");
    ASSERT_TRUE(p.has_value()) << p.error().line();
    ASSERT_EQ(p->rules.size(), 2u);
    const auto& g = p->rules[0];
    EXPECT_EQ(g.name, "gateways");
    EXPECT_EQ(g.profile, "aws-nlb");
    EXPECT_EQ(g.match.cgroup, "system.slice/nginx.service");
    EXPECT_EQ(g.roles, k_all_roles);
    EXPECT_TRUE(g.existing);
    EXPECT_FALSE(g.override_app);
    EXPECT_EQ(g.profile_at.file_line_column(), "policy.yaml:4:14");
    const auto& i = p->rules[1];
    EXPECT_EQ(i.match.pod, "ingress-nginx/ingress-*");
    EXPECT_EQ(i.match.container, "controller");
    EXPECT_EQ(i.roles, role_bit(SocketRole::accepted) | role_bit(SocketRole::upstream));
    EXPECT_FALSE(i.existing);
    EXPECT_TRUE(i.override_app);
    EXPECT_EQ(p->metrics_listen, "127.0.0.1:9977");
    EXPECT_EQ(p->health_every_ms, 90000u);
    EXPECT_EQ(p->health_paths, "/etc/keepalive-tune/paths");
}

TEST(AgentPolicyTest, JsonIsAcceptedBeingYaml) {
    auto p = parse_agent_policy(
        R"({"schema": "keepalive-tune.policy.v1", "rules": [{"name": "a", "profile": "aws-nlb", "match": {"unit": "*.service"}}]})",
        "policy.json");
    ASSERT_TRUE(p.has_value()) << p.error().line();
    EXPECT_EQ(p->rules[0].match.unit, "*.service");
    EXPECT_EQ(p->health_every_ms, 30000u);
    EXPECT_EQ(p->metrics_listen, "");
    EXPECT_FALSE(p->connection_ends);
}

TEST(AgentPolicyTest, HealthConnectionEndsAsksForTheCounters) {
    const std::string head = "schema: keepalive-tune.policy.v1\nrules:\n  - name: a\n    profile: p\n    match: {unit: x}\n";
    auto p = parse_agent_policy(head + "health:\n  connection_ends: true\n", "policy.yaml");
    ASSERT_TRUE(p.has_value()) << p.error().line();
    EXPECT_TRUE(p->connection_ends);
    EXPECT_EQ(error_of(head + "health:\n  connection_ends: yes please\n"),
              "policy.yaml:7:20: connection_ends: must be true or false");
    EXPECT_NE(error_of(head + "health:\n  connection_end: true\n").find("(did you mean \"connection_ends\"?)"), std::string::npos);
}

TEST(AgentPolicyTest, AnUnknownKeyIsNamedWithItsPositionAndTheNearestKnownOne) {
    const auto e = error_of("schema: keepalive-tune.policy.v1\nrules:\n  - name: a\n    profile: aws-nlb\n    match: {cgroup: x}\n"
                            "    overide_app: true\n");
    EXPECT_EQ(e, "policy.yaml:6:18: unknown key \"overide_app\" in a rule (did you mean \"override_app\"?)");
    EXPECT_NE(error_of("schema: keepalive-tune.policy.v1\nrules:\n  - name: a\n    profile: p\n    match: {cgrop: x}\n")
                  .find("unknown key \"cgrop\" in match (did you mean \"cgroup\"?)"),
              std::string::npos);
    EXPECT_NE(error_of("schema: keepalive-tune.policy.v1\nrule: []\n").find("(did you mean \"rules\"?)"), std::string::npos);
}

TEST(AgentPolicyTest, EveryRuleNeedsANameAProfileAndAMatchKey) {
    const std::string head = "schema: keepalive-tune.policy.v1\nrules:\n";
    EXPECT_NE(error_of(head + "  - name: a\n    profile: p\n    match: {}\n").find("policy.yaml:5:5: match: give at least one"),
              std::string::npos);
    EXPECT_NE(error_of(head + "  - name: a\n    profile: p\n").find("give a match"), std::string::npos);
    EXPECT_NE(error_of(head + "  - profile: p\n    match: {unit: x}\n").find("give it a name"), std::string::npos);
    EXPECT_NE(error_of(head + "  - name: a\n    match: {unit: x}\n").find("give a profile"), std::string::npos);
    EXPECT_NE(error_of(head + "  - name: a\n    profile: \"\"\n    match: {unit: x}\n").find("profile: must be a non-empty string"),
              std::string::npos);
}

TEST(AgentPolicyTest, DuplicateNamesBadGlobsAndBadValuesAreRefusedWhereTheyAreWritten) {
    const std::string head = "schema: keepalive-tune.policy.v1\nrules:\n";
    EXPECT_EQ(error_of(head + "  - name: a\n    profile: p\n    match: {unit: x}\n  - name: a\n    profile: q\n    match: {unit: y}\n"),
              "policy.yaml:6:11: rule name \"a\" is used twice: names must be unique");
    EXPECT_EQ(error_of(head + "  - name: a\n    profile: p\n    match: {cgroup: \"kube[pods\"}\n"),
              "policy.yaml:5:21: cgroup \"kube[pods\": '[' at character 5 is not closed by ']'");
    EXPECT_NE(error_of(head + "  - name: a\n    profile: p\n    match: {cgroup: /system.slice/x}\n").find("(\"system.slice/x\")"),
              std::string::npos);
    EXPECT_NE(error_of(head + "  - name: a\n    profile: p\n    match: {container: app}\n").find("give pod too"), std::string::npos);
    EXPECT_NE(error_of(head + "  - name: a\n    profile: p\n    match: {pod: web}\n").find("write NAMESPACE/NAME (\"*/web\""),
              std::string::npos);
    EXPECT_NE(error_of(head + "  - name: a\n    profile: p\n    match: {unit: x}\n    roles: [listener, inbound]\n").find("inbound"),
              std::string::npos);
    EXPECT_NE(error_of(head + "  - name: a\n    profile: p\n    match: {unit: x}\n    existing: maybe\n").find("existing: must be true or false"),
              std::string::npos);
    EXPECT_NE(error_of(head + "  - name: a\n    profile: p\n    match: {unit: x}\nhealth: {every: 0s}\n").find("between 1s and 24h"),
              std::string::npos);
    EXPECT_NE(error_of(head + "  - name: a\n    profile: p\n    match: {unit: x}\nmetrics: {listen: 9977}\n").find("write ADDR:PORT"),
              std::string::npos);
}

TEST(AgentPolicyTest, TheSchemaMustBeThisOne) {
    EXPECT_NE(error_of("rules: []\n").find("schema: missing"), std::string::npos);
    EXPECT_NE(error_of("schema: keepalive-tune.policy.v2\nrules: []\n").find("this version reads keepalive-tune.policy.v1"),
              std::string::npos);
    EXPECT_NE(error_of("- a\n- b\n").find("one YAML mapping"), std::string::npos);
    EXPECT_NE(error_of("schema: keepalive-tune.policy.v1\nrules: [\n").find("policy.yaml:"), std::string::npos);
}

TEST(AgentPolicyTest, GlobsStopAtSlashesExceptTheDoubleStar) {
    EXPECT_TRUE(glob_matches("system.slice/nginx.service", "system.slice/nginx.service"));
    EXPECT_TRUE(glob_matches("system.slice/*.service", "system.slice/nginx.service"));
    EXPECT_FALSE(glob_matches("*.service", "system.slice/nginx.service"));
    EXPECT_TRUE(glob_matches("**/nginx.service", "system.slice/nginx.service"));
    EXPECT_TRUE(glob_matches("kubepods.slice/**", "kubepods.slice/a/b/c"));
    EXPECT_TRUE(glob_matches("web-?", "web-1"));
    EXPECT_FALSE(glob_matches("web-?", "web-12"));
    EXPECT_TRUE(glob_matches("web-[0-9]", "web-7"));
    EXPECT_FALSE(glob_matches("web-[!0-9]", "web-7"));
    EXPECT_TRUE(glob_matches("[]a]", "]"));
    EXPECT_FALSE(glob_matches("a", ""));
    EXPECT_TRUE(glob_matches("", ""));
    // Many stars against a long text that almost matches: answered without blowing up.
    EXPECT_FALSE(glob_matches(std::string(40, '*') + "b", std::string(3000, 'a')));
    EXPECT_FALSE(glob_matches("**a**a**a**a**a**a**a**a**a**a**b", std::string(3000, 'a')));
}

TEST(AgentPolicyTest, ARuleMatchesWhenEveryKeyItGivesMatches) {
    PolicyRule r;
    r.match.unit = "nginx.service";
    EXPECT_TRUE(rule_matches(r, {"system.slice/nginx.service", "", ""}));
    EXPECT_FALSE(rule_matches(r, {"system.slice/nginx.service/worker", "", ""}));
    r.match.cgroup = "system.slice/*";
    EXPECT_TRUE(rule_matches(r, {"system.slice/nginx.service", "", ""}));
    EXPECT_FALSE(rule_matches(r, {"user.slice/nginx.service", "", ""}));
    PolicyRule pod;
    pod.match.pod = "ingress-nginx/ingress-*";
    EXPECT_TRUE(rule_matches(pod, {"kubepods.slice/x", "ingress-nginx/ingress-nginx-controller-5c8d", ""}));
    EXPECT_FALSE(rule_matches(pod, {"kubepods.slice/x", "default/ingress-1", ""}));
    EXPECT_FALSE(rule_matches(pod, {"kubepods.slice/x", "", ""}));  // a pod not known is not matched
    pod.match.container = "controller";
    EXPECT_FALSE(rule_matches(pod, {"kubepods.slice/x", "ingress-nginx/ingress-1", ""}));
    EXPECT_TRUE(rule_matches(pod, {"kubepods.slice/x", "ingress-nginx/ingress-1", "controller"}));
}

}  // namespace
}  // namespace kt
