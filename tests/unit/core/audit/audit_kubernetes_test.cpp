// Kubernetes resources of Istio, Envoy Gateway and Gloo, and pod sysctls: one fixture that
// breaks each rule and one that breaks none.
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


const AuditedObject* object_named(const AuditReport& r, const std::string& kind, const std::string& name) {
    for (const auto& o : r.objects)
        if (o.kind == kind && o.name == name) return &o;
    ADD_FAILURE() << kind << " " << name;
    return nullptr;
}

TEST(AuditKubernetesTest, CleanResourcesHaveNoFindingEvenBehindAnNlbAndAnAlb) {
    EXPECT_EQ(all_rules(audit_fixture("kubernetes/clean.yaml")), Lines{});
    const auto r = audit_fixture("kubernetes/clean.yaml", audit_path("aws-nlb-tcp,aws-alb"));
    EXPECT_EQ(all_rules(r), Lines{});
    const auto* dr = object_named(r, "istio DestinationRule", "backend");
    ASSERT_NE(dr, nullptr);
    EXPECT_EQ(dr->side, Side::upstream);
    EXPECT_EQ(dr->tcp.idle_seconds, 60u);
    EXPECT_EQ(dr->tcp.source, "explicit");
    const auto* ctp = object_named(r, "envoy-gateway ClientTrafficPolicy", "client-keepalive");
    ASSERT_NE(ctp, nullptr);
    EXPECT_EQ(ctp->side, Side::downstream);
    EXPECT_EQ(ctp->tcp.count, 6u);
}

TEST(AuditKubernetesTest, ReadsEveryDocumentAndTheMeshConfigString) {
    const auto r = audit_fixture("kubernetes/istio.yaml");
    EXPECT_NE(object_named(r, "istio DestinationRule", "backend port 9090"), nullptr);
    const auto* mesh = object_named(r, "istio MeshConfig", "ConfigMap istio");
    ASSERT_NE(mesh, nullptr);
    EXPECT_EQ(mesh->at.line, 32u);
    const auto* filter = object_named(r, "istio EnvoyFilter", "downstream-keepalive patch 1 (LISTENER)");
    ASSERT_NE(filter, nullptr);
    EXPECT_TRUE(filter->tcp.enabled);
    EXPECT_EQ(filter->tcp.idle_seconds, 60u);
}

TEST(AuditKubernetesTest, A19SubSecondDurationsTruncatedToZeroOrRoundedUp) {
    const auto istio = audit_fixture("kubernetes/istio.yaml");
    EXPECT_EQ(rule_lines(istio, "A19"), (Lines{"A19@14", "A19@21", "A19@33"}));
    EXPECT_FALSE(object_named(istio, "istio DestinationRule", "backend")->tcp.enabled);
    const auto eg = audit_fixture("kubernetes/envoy-gateway.yaml");
    EXPECT_EQ(all_rules(eg), Lines{"A19@12"});
    EXPECT_EQ(eg.findings.at(0).severity, Severity::medium);
    // Envoy Gateway writes downstream keepalive as raw socket options: 0 goes to setsockopt.
    EXPECT_NE(eg.findings.at(0).evidence.find("raw socket option"), std::string::npos) << eg.findings.at(0).evidence;
    EXPECT_NE(istio.findings.at(0).evidence.find("turns TCP keepalive off"), std::string::npos);
    // The fix keeps the apiVersion the DestinationRule was written with.
    EXPECT_NE(istio.findings.at(0).fix.find("apiVersion: networking.istio.io/v1beta1\nkind: DestinationRule"),
              std::string::npos)
        << istio.findings.at(0).fix;
    EXPECT_EQ(istio.findings.at(0).fix.find("v1alpha3\nkind: DestinationRule"), std::string::npos);
    EXPECT_NE(eg.findings.at(0).fix.find("kind: ClientTrafficPolicy"), std::string::npos);
    EXPECT_NE(eg.findings.at(0).fix.find("name: client-keepalive"), std::string::npos);
    // Gloo rounds up: 250 ms becomes 1 s, a smaller surprise.
    const auto gloo = audit_fixture("kubernetes/gloo.yaml");
    EXPECT_EQ(all_rules(gloo), Lines{"A19@30"});
    EXPECT_EQ(gloo.findings.at(0).severity, Severity::low);
    EXPECT_EQ(object_named(gloo, "gloo Upstream", "default-backend-8080")->tcp.interval_seconds, 1u);
    // Before Envoy 1.37 a 0 is not "off".
    AuditContext old;
    old.envoy_version = EnvoyVersion{1, 36};
    EXPECT_TRUE(object_named(audit_fixture_in("kubernetes/istio.yaml", old), "istio DestinationRule", "backend")
                    ->tcp.enabled);
}

TEST(AuditKubernetesTest, A16AndA23InAnEnvoyFilter) {
    const auto r = audit_fixture("kubernetes/istio.yaml");
    EXPECT_EQ(rule_lines(r, "A16"), (Lines{"A16@51", "A16@52"}));
    EXPECT_EQ(rule_lines(r, "A23"), Lines{"A23@63"});
    EXPECT_EQ(rule_lines(audit_fixture("kubernetes/gloo.yaml"), "A16"), Lines{});
}

TEST(AuditKubernetesTest, A21GlooHelmKeepaliveReachesOnlyGloosOwnClusters) {
    EXPECT_EQ(all_rules(audit_fixture("kubernetes/gloo-values.yaml")), Lines{"A21@4"});
    EXPECT_EQ(rule_lines(audit_fixture("kubernetes/gloo.yaml"), "A21"), Lines{});
}

TEST(AuditKubernetesTest, A22PodSysctlsOnOldClustersAndPinnedNamespaces) {
    // The namespace pins Pod Security to v1.28: intvl and probes are rejected there.
    const auto r = audit_fixture("kubernetes/pods.yaml");
    EXPECT_EQ(all_rules(r), (Lines{"A22@25", "A22@26"}));
    EXPECT_NE(r.findings.at(0).evidence.find("v1.28"), std::string::npos);
    AuditContext old;
    old.kubernetes_version = {1, 28};
    old.kubernetes_version_given = true;
    const auto on_128 = audit_fixture_in("kubernetes/pods.yaml", old);
    EXPECT_EQ(all_rules(on_128), (Lines{"A22@24", "A22@25", "A22@26", "A22@41"}));
    EXPECT_NE(on_128.findings.at(0).evidence.find("Kubernetes 1.28 (--kubernetes-version)"), std::string::npos)
        << on_128.findings.at(0).evidence;
    EXPECT_EQ(all_rules(audit_fixture("kubernetes/clean.yaml")), Lines{});
    EXPECT_EQ(object_named(r, "kubernetes CronJob", "report")->settings.at(0).value, "120");
}

TEST(AuditKubernetesTest, A9DownstreamObjectsAgainstThePath) {
    // A firewall that forgets idle flows after 30 s, and a 75 s idle timeout that does not close
    // first: Envoy Gateway's 900 ms became 0, refused, so the netns's 2 h stays; the EnvoyFilter's
    // and the Gloo Gateway's 60 s come too late.
    EXPECT_EQ(rule_lines(audit_fixture("kubernetes/envoy-gateway.yaml", audit_path("corp-fw=30s")), "A9"), Lines{"A9@3"});
    EXPECT_EQ(rule_lines(audit_fixture("kubernetes/istio.yaml", audit_path("corp-fw=30s")), "A9"), Lines{"A9@45"});
    EXPECT_EQ(rule_lines(audit_fixture("kubernetes/gloo.yaml", audit_path("corp-fw=30s")), "A9"), Lines{"A9@3"});
    // Behind an NLB the 75 s idle timeout closes first, and 60 s keepalive is below 350 s.
    EXPECT_EQ(rule_lines(audit_fixture("kubernetes/envoy-gateway.yaml", audit_path("aws-nlb-tcp")), "A9"), Lines{});
    EXPECT_EQ(rule_lines(audit_fixture("kubernetes/istio.yaml", audit_path("aws-nlb-tcp")), "A9"), Lines{});
}

TEST(AuditKubernetesTest, ParseErrorsAndFilesWithoutObjects) {
    auto bad = parse_kubernetes_config("apiVersion: v1\nkind: Pod\n---\nmetadata: {name: [x}\n", "bad.yaml");
    ASSERT_FALSE(bad.has_value());
    EXPECT_TRUE(bad.error().what.starts_with("bad.yaml:4:")) << bad.error().line();
    auto mesh = parse_kubernetes_config(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: istio}\ndata:\n  mesh: |\n    a: 1\n    b: [\n", "cm.yaml");
    ASSERT_FALSE(mesh.has_value());
    EXPECT_TRUE(mesh.error().what.starts_with("cm.yaml:7:") || mesh.error().what.starts_with("cm.yaml:8:"))
        << mesh.error().line();
    EXPECT_FALSE(parse_kubernetes_config("- 1\n- 2\n", "list.yaml").has_value());
}

}  // namespace
}  // namespace kt
