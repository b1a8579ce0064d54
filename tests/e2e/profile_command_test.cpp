// `keepalive-tune profile ...` against the shipped profiles and hand-made bad ones.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "support/run_binary.hpp"
#include "support/temp_dir.hpp"

namespace kt::test {
namespace {

std::vector<std::string> shipped_profiles() {
    std::vector<std::string> files;
    for (const auto& e : std::filesystem::directory_iterator(source_dir() + "/profiles"))
        if (e.path().extension() == ".json") files.push_back(e.path().string());
    std::sort(files.begin(), files.end());
    return files;
}

TEST(ProfileCommandTest, EveryShippedProfileValidates) {
    auto files = shipped_profiles();
    ASSERT_GE(files.size(), 8u);
    std::vector<std::string> args{"profile", "validate"};
    args.insert(args.end(), files.begin(), files.end());
    auto r = run_tool(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.err, "");
}

TEST(ProfileCommandTest, ShippedProfilesBeatTheirOwnPathExceptTheKernelDefault) {
    for (const auto& file : shipped_profiles()) {
        auto r = run_tool({"--json", "profile", "show", file});
        ASSERT_EQ(r.exit_code, 0) << file << r.err;
        auto j = nlohmann::json::parse(r.out);
        const bool reference = j["name"] == "linux-default";
        EXPECT_EQ(j["budget_loses"].get<bool>(), reference) << file;
        EXPECT_FALSE(j["summary"].get<std::string>().empty());
    }
}

TEST(ProfileCommandTest, ListShowsEveryProfileWithDetectionTimes) {
    auto r = run_tool({"profile", "list"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("envoy-gloo      60/20/2"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("linux-default   7200/75/9"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("2h11m15s"), std::string::npos);
}

TEST(ProfileCommandTest, ValidateReportsEveryProblemOnItsOwnLineAndExits2) {
    TempDir d;
    const auto bad = d.write("x.json", R"({"name": "x", "summary": "s", "description": "d",
      "keepalive": {"enabled": true, "idle_seconds": 0, "interval_seconds": 5, "count": 128}, "pth": []})");
    const auto good = source_dir() + "/profiles/websocket.json";
    auto r = run_tool({"profile", "validate", good, bad});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.out.find("websocket.json: ok"), std::string::npos);
    EXPECT_NE(r.err.find("keepalive-tune: error: " + bad + ": /keepalive/count: 128 is out of range 1..127\n"),
              std::string::npos)
        << r.err;
    EXPECT_NE(r.err.find(bad + ": /keepalive/idle_seconds: 0 is out of range 1..32767"), std::string::npos);
    EXPECT_NE(r.err.find(bad + ": /pth: unknown key (did you mean \"path\"?)"), std::string::npos);
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 3) << r.err;
}

TEST(ProfileCommandTest, ValidateReportsLineAndColumnOfBrokenJson) {
    TempDir d;
    const auto bad = d.write("x.json", "{\n  \"name\": \"x\"\n  \"summary\": \"s\"\n}");
    auto r = run_tool({"profile", "validate", bad});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find(bad + ":3:11: not valid JSON"), std::string::npos) << r.err;
}

TEST(ProfileCommandTest, ProfileDirIsSearchedBeforeTheShippedProfiles) {
    TempDir d;
    d.write("websocket.json", R"({"name": "websocket", "summary": "local", "description": "d",
      "keepalive": {"enabled": true, "idle_seconds": 9, "interval_seconds": 5, "count": 3}})");
    auto r = run_tool({"--json", "--profile-dir", d.path(), "profile", "show", "websocket"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(nlohmann::json::parse(r.out)["keepalive"]["idle_seconds"], 9);
}

TEST(ProfileCommandTest, CheckExits1WhenTheProfileLosesAndNamesTheFix) {
    auto r = run_tool({"profile", "check", "linux-default", "--path", "azure-lb"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.out.find("LOSES   azure-lb"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("lower idle_seconds below 240"), std::string::npos) << r.out;
}

TEST(ProfileCommandTest, CheckExits0WhenTheProfileBeatsThePath) {
    auto r = run_tool({"profile", "check", "envoy-gloo", "--path", "aws-nlb-tcp,azure-lb,gcp-cloud-nat"});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
}

TEST(ProfileCommandTest, CheckRejectsUnknownMiddleboxWithASuggestion) {
    auto r = run_tool({"profile", "check", "envoy-gloo", "--path", "azure-lbb"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("unknown middlebox (did you mean \"azure-lb\"?)"), std::string::npos) << r.err;
}

// Before: only the first unknown id, and `--path a --path b` was CLI11's "At Most 1".
TEST(ProfileCommandTest, CheckReportsEveryUnknownIdAndTakesRepeatedPaths) {
    auto r = run_tool({"profile", "check", "envoy-gloo", "--path", "nope,aws-nlb"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("keepalive-tune: error: --path nope: unknown middlebox"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("keepalive-tune: error: --path aws-nlb: unknown middlebox (did you mean \"aws-nlb-tcp\"?)"),
              std::string::npos)
        << r.err;
    auto repeated = run_tool({"--json", "profile", "check", "envoy-gloo", "--path", "aws-nlb-tcp", "--path", "azure-lb"});
    EXPECT_EQ(repeated.exit_code, 0) << repeated.err;
    EXPECT_NE(repeated.out.find("azure-lb"), std::string::npos) << repeated.out;
    EXPECT_NE(repeated.out.find("aws-nlb-tcp"), std::string::npos) << repeated.out;
}

// A moved install (a copied prefix) finds the profiles beside its binary, as it finds the
// preload library; before, only the configured share directory was searched.
TEST(ProfileCommandTest, AMovedInstallFindsTheProfilesBesideItsBinary) {
    TempDir prefix;
    std::filesystem::create_directories(prefix.path() + "/bin");
    std::filesystem::copy_file(tool_path(), prefix.path() + "/bin/keepalive-tune");
    std::filesystem::permissions(prefix.path() + "/bin/keepalive-tune", std::filesystem::perms::owner_all);
    TempDir scratch;
    const auto profile = scratch.write_profile("moved-only", 60, 20, 2);
    const std::string share = prefix.path() + "/share/keepalive-tune/profiles";
    std::filesystem::create_directories(share);
    std::filesystem::copy_file(profile, share + "/moved-only.json");
    const auto r = run_program({prefix.path() + "/bin/keepalive-tune", "profile", "show", "moved-only"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("moved-only"), std::string::npos) << r.out;
}

TEST(ProfileCommandTest, ShowOfAnUnknownProfileSuggestsTheNearest) {
    auto r = run_tool({"profile", "show", "websoket"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("did you mean \"websocket\"?"), std::string::npos) << r.err;
}

TEST(ProfileCommandTest, ShowJsonIsOneDocument) {
    auto r = run_tool({"profile", "show", "aws-nlb", "--json"});
    ASSERT_EQ(r.exit_code, 0);
    auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["user_timeout_ms"], 360000);
    EXPECT_EQ(j["dead_peer_idle"]["ms"], 360000);
    EXPECT_TRUE(j["holes"].empty());
}

}  // namespace
}  // namespace kt::test
