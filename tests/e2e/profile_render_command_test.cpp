// `keepalive-tune profile render`: the list, the text and JSON output, and bad input.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "support/run_binary.hpp"
#include "support/temp_dir.hpp"

namespace kt::test {
namespace {

std::size_t lines(const std::string& s) {
    return static_cast<std::size_t>(std::count(s.begin(), s.end(), '\n'));
}

std::string read_source(const std::string& relative) {
    std::ifstream in(source_dir() + "/" + relative);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::vector<std::string> target_names() {
    const auto r = run_tool({"--json", "profile", "render", "--list"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::vector<std::string> names;
    const auto doc = nlohmann::json::parse(r.out);
    for (const auto& t : doc["targets"]) names.push_back(t["name"]);
    EXPECT_EQ(names.size(), 17u);
    return names;
}

// One line on stderr, exit 2, and the line says `expected`.
void expect_one_error(const std::vector<std::string>& args, const std::string& expected) {
    const auto r = run_tool(args);
    EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(lines(r.err), 1u) << r.err;
    EXPECT_TRUE(r.err.starts_with("keepalive-tune: error: ")) << r.err;
    EXPECT_NE(r.err.find(expected), std::string::npos) << r.err;
}

TEST(ProfileRenderCommandTest, ListHasOneLinePerTarget) {
    const auto r = run_tool({"profile", "render", "--list"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(lines(r.out), 18u) << r.out;
    EXPECT_TRUE(r.out.starts_with("TARGET          SIDES       RENDERS\n")) << r.out;
    EXPECT_NE(r.out.find("\nsystemd-socket  downstream  "), std::string::npos);
    EXPECT_NE(r.out.find("\nredis           downstream  "), std::string::npos);
}

TEST(ProfileRenderCommandTest, ListJsonHasItsSchemaAndEveryTarget) {
    const auto r = run_tool({"profile", "render", "--list", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["schema"], "keepalive-tune.render-targets.v1");
    ASSERT_EQ(j["targets"].size(), 17u);
    for (const auto& t : j["targets"]) {
        EXPECT_TRUE(t["name"].is_string());
        EXPECT_TRUE(t["summary"].is_string());
        EXPECT_FALSE(t["sides"].empty());
    }
}

TEST(ProfileRenderCommandTest, TextIsTheSnippetsWithTheirHeaders) {
    const auto r = run_tool({"profile", "render", "aws-nlb", "--for", "nginx"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.err, "");
    EXPECT_TRUE(r.out.starts_with("# keepalive-tune profile render aws-nlb --for nginx: ")) << r.out;
    EXPECT_NE(r.out.find("    listen 8080 so_keepalive=240:30:4;\n"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("\nnet.ipv4.tcp_keepalive_time = 240\n"), std::string::npos);
    EXPECT_NE(r.out.find("# cannot-express: TCP_USER_TIMEOUT: nginx has no directive for it"), std::string::npos);
}

TEST(ProfileRenderCommandTest, JsonFollowsTheRenderSchema) {
    const auto r = run_tool({"--json", "profile", "render", "envoy-gloo", "--for", "envoy", "--side", "downstream",
                             "--envoy-version", "1.36.3"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["schema"], "keepalive-tune.render.v1");
    EXPECT_EQ(j["target"], "envoy");
    EXPECT_EQ(j["side"], "downstream");
    EXPECT_EQ(j["envoy_version"], "1.36");
    EXPECT_EQ(j["profile"]["name"], "envoy-gloo");
    EXPECT_EQ(j["profile"]["keepalive"]["idle_seconds"], 60);
    EXPECT_EQ(j["profile"]["user_timeout_ms"], nullptr);
    ASSERT_EQ(j["snippets"].size(), 1u);
    for (const char* key : {"title", "where", "syntax", "text", "body"})
        EXPECT_TRUE(j["snippets"][0][key].is_string()) << key;
    EXPECT_NE(j["snippets"][0]["body"].get<std::string>().find("level: 6, name: 4, int_value: 60,"), std::string::npos);
    ASSERT_FALSE(j["caveats"].empty());
    for (const auto& c : j["caveats"]) {
        EXPECT_TRUE(c["kind"].is_string());
        EXPECT_TRUE(c["text"].is_string());
    }
    ASSERT_EQ(j["effective"].size(), 1u);
    EXPECT_EQ(j["effective"][0]["count"], 2);
}

TEST(ProfileRenderCommandTest, EveryShippedProfileRendersForEveryTarget) {
    std::vector<std::string> profiles;
    for (const auto& e : std::filesystem::directory_iterator(source_dir() + "/profiles"))
        if (e.path().extension() == ".json") profiles.push_back(e.path().string());
    ASSERT_GE(profiles.size(), 8u);
    for (const auto& target : target_names())
        for (const auto& profile : profiles) {
            const auto r = run_tool({"profile", "render", profile, "--for", target});
            EXPECT_EQ(r.exit_code, 0) << target << " " << profile << ": " << r.err;
            EXPECT_EQ(r.err, "") << target;
            EXPECT_GT(lines(r.out), 2u) << target;
        }
}

TEST(ProfileRenderCommandTest, AMisspeltTargetIsOneLineWithTheNearestName) {
    expect_one_error({"profile", "render", "aws-nlb", "--for", "ngnix"},
                     "keepalive-tune: error: --for ngnix: unknown target (did you mean \"nginx\"?); "
                     "`keepalive-tune profile render --list` lists them\n");
    expect_one_error({"profile", "render", "aws-nlb", "--for", "sysctl"}, "(did you mean \"sysctl.d\"?)");
}

TEST(ProfileRenderCommandTest, ATargetTypoIsReportedBeforeTheProfileIsRead) {
    expect_one_error({"profile", "render", "no-such-profile", "--for", "hapoxy"}, "--for hapoxy: unknown target");
}

TEST(ProfileRenderCommandTest, AnUnknownProfileIsOneLineWithTheNearestName) {
    expect_one_error({"profile", "render", "aws-nbl", "--for", "nginx"}, "did you mean \"aws-nlb\"?");
}

TEST(ProfileRenderCommandTest, BadSidesAreOneLineEach) {
    expect_one_error({"profile", "render", "aws-nlb", "--for", "nginx", "--side", "downstrem"},
                     "--side downstrem: must be downstream, upstream or both (did you mean \"downstream\"?)");
    expect_one_error({"profile", "render", "aws-nlb", "--for", "redis", "--side", "upstream"},
                     "--side upstream: redis renders only the downstream side");
}

TEST(ProfileRenderCommandTest, MissingTargetBadEnvoyVersionAndListWithAProfileAreErrors) {
    expect_one_error({"profile", "render", "aws-nlb"}, "--for: give the target to render for");
    expect_one_error({"profile", "render"}, "give a profile name or path, or --list");
    expect_one_error({"profile", "render", "aws-nlb", "--for", "envoy", "--envoy-version", "latest"},
                     "--envoy-version latest: expected MAJOR.MINOR");
    expect_one_error({"profile", "render", "aws-nlb", "--for", "istio", "--envoy-version", "1.36"},
                     "--envoy-version: only --for envoy takes it");
    expect_one_error({"profile", "render", "aws-nlb", "--list"}, "--list: lists every target");
}

TEST(ProfileRenderCommandTest, HelpNamesEveryOption) {
    const auto r = run_tool({"profile", "render", "--help"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    for (const char* option : {"--for TARGET", "--side SIDE", "--envoy-version X.Y", "--list"})
        EXPECT_NE(r.out.find(option), std::string::npos) << option << "\n" << r.out;
}

TEST(ProfileRenderCommandTest, TheReadmeAndTheManPageNameEveryTarget) {
    const auto readme = read_source("README.md");
    const auto man = read_source("man/keepalive-tune.8");
    for (const auto& target : target_names()) {
        EXPECT_NE(readme.find("`" + target + "`"), std::string::npos) << target;
        std::string escaped;
        for (char c : target) escaped += c == '-' ? std::string("\\-") : std::string(1, c);
        EXPECT_NE(man.find(".B " + escaped + "\n"), std::string::npos) << target;
    }
}

}  // namespace
}  // namespace kt::test
