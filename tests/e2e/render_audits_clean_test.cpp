// What `profile render` writes for a proxy that `audit` reads is what audit would have the user
// write: every shipped profile's snippets for nginx, HAProxy, Envoy, Istio and Kubernetes audit
// with no finding at medium or above.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "support/run_binary.hpp"
#include "support/temp_dir.hpp"

namespace kt::test {
namespace {

std::vector<std::string> shipped_profiles() {
    std::vector<std::string> names;
    for (const auto& e : std::filesystem::directory_iterator(source_dir() + "/profiles"))
        if (e.path().extension() == ".json") names.push_back(e.path().stem().string());
    std::sort(names.begin(), names.end());
    return names;
}

// The snippet as a file audit reads: nginx's go inside http {}, as conf.d files do.
std::string as_file(const std::string& syntax, const std::string& body) {
    if (syntax == "nginx") return "events {}\nhttp {\n" + body + "}\n";
    return body;
}

TEST(RenderAuditsCleanTest, EverySnippetOfAnAuditedTargetHasNoFindingAtMediumOrAbove) {
    TempDir d;
    const std::vector<std::pair<std::string, std::string>> targets = {
        {"nginx", "nginx"}, {"haproxy", "haproxy"}, {"envoy", "envoy"}, {"istio", "kubernetes"},
        {"envoy-gateway", "kubernetes"}};
    const auto profiles = shipped_profiles();
    ASSERT_GE(profiles.size(), 5u);
    int audited = 0;
    for (const auto& profile : profiles) {
        for (const auto& [target, type] : targets) {
            const auto r = run_tool({"--json", "profile", "render", profile, "--for", target});
            ASSERT_EQ(r.exit_code, 0) << profile << " " << target << ": " << r.err;
            const auto doc = nlohmann::json::parse(r.out);
            int i = 0;
            for (const auto& s : doc["snippets"]) {
                const std::string syntax = s["syntax"];
                if (syntax != "nginx" && syntax != "haproxy" && syntax != "yaml") continue;
                const std::string body = s["body"];
                if (body.starts_with("#")) continue;  // "nothing to set": a comment alone
                const auto file = d.write(profile + "-" + target + "-" + std::to_string(i++) + ".conf", as_file(syntax, body));
                const auto a = run_tool({"--json", "audit", file, "--type", type, "--fail-on", "medium"});
                SCOPED_TRACE(profile + " --for " + target + ", snippet " + s["title"].get<std::string>());
                ASSERT_TRUE(a.exit_code == 0 || a.exit_code == 1) << a.err << "\n" << as_file(syntax, body);
                const auto audit = nlohmann::json::parse(a.out);
                for (const auto& config : audit["configs"])
                    for (const auto& f : config["findings"])
                        EXPECT_TRUE(f["severity"] == "low" || f["severity"] == "info")
                            << f.dump() << "\n" << as_file(syntax, body);
                ++audited;
            }
        }
    }
    EXPECT_GE(audited, static_cast<int>(profiles.size()) * 4);
}

}  // namespace
}  // namespace kt::test
