// `audit` on Envoy and Kubernetes files through the built binary: every fixture, the type guess,
// the JSON document, the new options and their errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "support/run_binary.hpp"
#include "support/temp_dir.hpp"

namespace kt::test {
namespace {

std::string fixture(const std::string& name) {
    return source_dir() + "/tests/data/audit/" + name;
}

nlohmann::json json_of(const RunResult& r) {
    auto doc = nlohmann::json::parse(r.out, nullptr, false);
    EXPECT_FALSE(doc.is_discarded()) << r.out << r.err;
    return doc;
}

// "A17@7" for each finding, configuration after configuration.
std::vector<std::string> rules(const nlohmann::json& doc) {
    std::vector<std::string> out;
    const auto& configs = doc["configs"];
    for (const auto& c : configs)
        for (const auto& f : c["findings"])
            out.push_back(f["rule"].get<std::string>() + "@" + std::to_string(f["line"].get<int>()));
    return out;
}

using Lines = std::vector<std::string>;

// Every fixture is read without --type, and gives the rules its name says (clean: none).
TEST(AuditEnvoyKubernetesCommandTest, EveryFixtureIsGuessedAndGivesItsRule) {
    int checked = 0;
    for (const std::string dir : {"envoy", "kubernetes"}) {
        for (const auto& e : std::filesystem::directory_iterator(fixture(dir))) {
            const auto r = run_tool({"audit", e.path().string(), "--json", "--fail-on", "info"});
            const auto doc = json_of(r);
            ASSERT_EQ(doc["configs"].size(), 1u) << e.path();
            EXPECT_EQ(doc["configs"][0]["type"], dir) << e.path();
            const auto stem = e.path().stem().string();
            const auto found = rules(doc);
            if (stem == "clean") {
                EXPECT_EQ(r.exit_code, 0) << e.path() << r.out;
                EXPECT_EQ(found, Lines{}) << e.path();
            } else {
                EXPECT_EQ(r.exit_code, 1) << e.path() << r.err;
                EXPECT_FALSE(found.empty()) << e.path();
            }
            if (stem.size() == 3 && stem[0] == 'a') {
                const std::string rule = "A" + stem.substr(1);
                EXPECT_TRUE(std::any_of(found.begin(), found.end(), [&](const std::string& f) { return f.starts_with(rule + "@"); }))
                    << e.path();
            }
            ++checked;
        }
    }
    EXPECT_GE(checked, 14);
}

// Envoy Gateway prints listeners and clusters as a bare list; a Helm values file is YAML that
// audit does not read, and says so rather than failing to parse it as nginx.
TEST(AuditEnvoyKubernetesCommandTest, AListOfResourcesIsEnvoyAndHelmValuesAskForAType) {
    const auto list = run_tool({"audit", fixture("envoy/gateway-list.yaml"), "--json", "--fail-on", "high"});
    const auto doc = json_of(list);
    ASSERT_EQ(doc["configs"].size(), 1u) << list.out << list.err;
    EXPECT_EQ(doc["configs"][0]["type"], "envoy");
    EXPECT_NE(list.out.find("default/eg/http"), std::string::npos) << "the listener is read";
    EXPECT_NE(list.out.find("httproute/default/backend/rule/0"), std::string::npos) << "the cluster is read";

    const auto values = run_tool({"audit", fixture("unknown/ingress-nginx-values.yaml")});
    EXPECT_EQ(values.exit_code, 2) << values.out << values.err;
    EXPECT_EQ(values.err.find("unexpected"), std::string::npos) << values.err;
    EXPECT_NE(values.err.find("cannot tell which kind of configuration this is"), std::string::npos) << values.err;
    EXPECT_NE(values.err.find("give --type"), std::string::npos) << values.err;
    EXPECT_EQ(std::count(values.err.begin(), values.err.end(), '\n'), 1) << values.err;
}

TEST(AuditEnvoyKubernetesCommandTest, ConfigDumpJsonReportsStringNumbersAsValues) {
    const auto r = run_tool({"audit", fixture("envoy/config-dump.json"), "--json"});
    EXPECT_EQ(r.exit_code, 1) << r.err;
    const auto doc = json_of(r);
    const auto& config = doc["configs"].at(0);
    EXPECT_EQ(config["type"], "envoy");
    const auto& listener = config["objects"].at(0);
    EXPECT_EQ(listener["kind"], "envoy listener");
    EXPECT_EQ(listener["tcp_keepalive"]["idle_seconds"], 30);
    EXPECT_EQ(listener["tcp_keepalive"]["count"], 3);
    EXPECT_EQ(listener["tcp_keepalive"]["user_timeout_ms"], 45000);
    EXPECT_EQ(listener["settings"]["stream_idle_timeout"], "0s (disabled)");
    const auto& f = config["findings"].at(0);
    EXPECT_EQ(f["rule"], "A17");
    EXPECT_EQ(f["severity"], "high");
    EXPECT_EQ(f["fix"]["syntax"], "envoy");
    EXPECT_NE(f["fix"]["text"].get<std::string>().find("idle_timeout: 4s"), std::string::npos);
}

TEST(AuditEnvoyKubernetesCommandTest, EnvoyVersionAndBackendIdleChangeTheFindings) {
    EXPECT_EQ(rules(json_of(run_tool({"audit", fixture("envoy/a14.yaml"), "--json"}))), Lines{"A14@7"});
    const auto old = run_tool({"audit", fixture("envoy/a14.yaml"), "--json", "--envoy-version", "1.36"});
    EXPECT_EQ(rules(json_of(old)), (Lines{"A14@6", "A14@7"}));
    const auto backend = run_tool({"audit", fixture("envoy/a17.yaml"), "--json", "--backend-idle", "10s"});
    EXPECT_EQ(rules(json_of(backend)), (Lines{"A17@4", "A17@13", "A17@18"}));
    const auto bad = run_tool({"audit", fixture("envoy/a17.yaml"), "--backend-idle", "soon", "--envoy-version", "x"});
    EXPECT_EQ(bad.exit_code, 2);
    EXPECT_NE(bad.err.find("keepalive-tune: error: --backend-idle: "), std::string::npos) << bad.err;
    EXPECT_NE(bad.err.find("keepalive-tune: error: --envoy-version x: "), std::string::npos) << bad.err;
}

TEST(AuditEnvoyKubernetesCommandTest, KubernetesVersionIsSaidInTheFinding) {
    const auto r = run_tool({"audit", fixture("kubernetes/pods.yaml"), "--kubernetes-version", "1.28"});
    EXPECT_EQ(r.exit_code, 0) << r.err;  // medium findings, --fail-on high
    EXPECT_NE(r.out.find("MEDIUM A22 " + fixture("kubernetes/pods.yaml") + ":41: "), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("Kubernetes 1.28 (--kubernetes-version)"), std::string::npos) << r.out;
    const auto bad = run_tool({"audit", fixture("kubernetes/pods.yaml"), "--kubernetes-version", "one"});
    EXPECT_EQ(bad.exit_code, 2);
    EXPECT_NE(bad.err.find("keepalive-tune: error: --kubernetes-version: \"one\" is not a Kubernetes release"),
              std::string::npos)
        << bad.err;
}

TEST(AuditEnvoyKubernetesCommandTest, YamlSyntaxErrorsSayFileLineAndColumnAndExitTwo) {
    TempDir d;
    const auto envoy = d.write("envoy.yaml", "static_resources:\n  listeners:\n  - name: [ingress\n");
    const auto r = run_tool({"audit", envoy});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_TRUE(r.err.starts_with("keepalive-tune: error: " + envoy + ":")) << r.err;
    const auto k8s = d.write("k8s.yaml", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n name: b\n");
    const auto k = run_tool({"audit", k8s, "--type", "kubernetes"});
    EXPECT_EQ(k.exit_code, 2);
    EXPECT_TRUE(k.err.starts_with("keepalive-tune: error: " + k8s + ":5:")) << k.err;
    const auto none = run_tool({"audit", d.write("ads.yaml", "dynamic_resources: {}\n")});
    EXPECT_EQ(none.exit_code, 2);
    EXPECT_NE(none.err.find("no Envoy listener or cluster"), std::string::npos) << none.err;
}

TEST(AuditEnvoyKubernetesCommandTest, TextOutputNamesTheObjectsAndTheFixSyntax) {
    const auto r = run_tool({"audit", fixture("envoy/clean.yaml"), fixture("kubernetes/istio.yaml")});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("envoy configuration " + fixture("envoy/clean.yaml")), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("envoy listener ingress (downstream)"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("kubernetes configuration"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("fix (kubernetes):"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace kt::test
