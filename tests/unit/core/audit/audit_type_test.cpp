// The guess of a configuration's type from its text, and the --type and --kubernetes-version words.
#include <gtest/gtest.h>

#include "core/audit/audit.hpp"

namespace kt {
namespace {

TEST(GuessConfigTypeTest, TellsEnvoyKubernetesNginxAndHaproxyApart) {
    EXPECT_EQ(guess_config_type("static_resources:\n  listeners: []\n"), ConfigType::envoy);
    EXPECT_EQ(guess_config_type("{\n \"configs\": [\n  {\n   \"@type\": \"x.ListenersConfigDump\"\n  }\n ]\n}\n"),
              ConfigType::envoy);
    EXPECT_EQ(guess_config_type("listeners:\n- name: a\nclusters: []\n"), ConfigType::envoy);
    EXPECT_EQ(guess_config_type("resources:\n- \"@type\": type.googleapis.com/envoy.config.cluster.v3.Cluster\n"),
              ConfigType::envoy);
    EXPECT_EQ(guess_config_type("apiVersion: v1\nkind: Pod\n"), ConfigType::kubernetes);
    EXPECT_EQ(guess_config_type("{\"apiVersion\": \"v1\", \"kind\": \"List\", \"items\": []}"), ConfigType::kubernetes);
    // An EnvoyFilter carries Envoy's keys and is still Kubernetes.
    EXPECT_EQ(guess_config_type("apiVersion: networking.istio.io/v1alpha3\nkind: EnvoyFilter\nspec:\n  configPatches:\n"
                                "  - patch:\n      value:\n        \"@type\": x\n        resources: []\n"),
              ConfigType::kubernetes);
    EXPECT_EQ(guess_config_type("gatewayProxies:\n  gatewayProxy:\n    tcpKeepaliveTimeSeconds: 60\n"),
              ConfigType::kubernetes);
    EXPECT_EQ(guess_config_type("http {\n    server {\n        listen 80;\n    }\n}\n"), ConfigType::nginx);
    EXPECT_EQ(guess_config_type("defaults\n    mode http\nfrontend fe\n    bind :80\n    server s1 10.0.0.1:80\n"),
              ConfigType::haproxy);
    EXPECT_EQ(guess_config_type("hello\n"), std::nullopt);
}

TEST(AuditTypeTest, TypesAndKubernetesReleasesByName) {
    EXPECT_EQ(parse_config_type("envoy"), ConfigType::envoy);
    EXPECT_EQ(parse_config_type("kubernetes"), ConfigType::kubernetes);
    ASSERT_FALSE(parse_config_type("k8s").has_value());
    EXPECT_NE(parse_config_type("k8s").error().why.find("nginx, haproxy, envoy or kubernetes"), std::string::npos);
    EXPECT_EQ(parse_kubernetes_version("v1.28", "f"), (KubernetesVersion{1, 28}));
    EXPECT_EQ(parse_kubernetes_version("1.29.3", "f"), (KubernetesVersion{1, 29}));
    EXPECT_FALSE(parse_kubernetes_version("1", "f").has_value());
    EXPECT_FALSE(parse_kubernetes_version("x.y", "f").has_value());
    EXPECT_EQ(kubernetes_version_text(KubernetesVersion{}), "1.30");
}

}  // namespace
}  // namespace kt
