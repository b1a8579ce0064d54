// health and reap on bad input: one clear line, exit 2, nothing printed and nothing closed.
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "support/run_binary.hpp"
#include "support/temp_dir.hpp"

namespace kt::test {
namespace {

TEST(HealthCommandTest, BadInputIsOneLineAndExit2) {
    TempDir d;
    const auto broken = d.write("broken.json", R"({"paths": [{"cidr": "10.0.0.0/8", "path": ["aws-nlb-tcp"]},]})");
    const auto unknown = d.write("unknown.json", R"({"paths": [{"cidr": "10.0.0.0/8", "path": ["nlb"]}]})");
    const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
        {{"health", "--idle-over", "5x"}, "--idle-over: \"5x\" is not a duration (90s, 5m30s, 1h, 1.5s, 500ms, or seconds)"},
        {{"health", "--idle-under", "-1"}, "--idle-under: \"-1\" is not a duration"},
        {{"health", "--path", "nope"}, "--path nope: unknown middlebox"},
        {{"health", "--path", "aws-nlb"}, "--path aws-nlb: unknown middlebox (did you mean \"aws-nlb-tcp\"?)"},
        {{"health", "--path", "corp-fw=soon"}, "--path corp-fw=soon: \"soon\" is not a duration"},
        {{"health", "--paths", broken}, broken + ":1:"},
        {{"health", "--paths", unknown}, unknown + ": /paths/0/path/0: nlb: unknown middlebox"},
        {{"health", "--paths", d.path() + "/missing.json"}, d.path() + "/missing.json: No such file or directory"},
        {{"health", "--profile", "nosuchprofile"}, "profile \"nosuchprofile\": not found"},
        {{"health", "--state", "listening"}, "--state: health judges connected sockets only"},
        {{"health", "--role", "listener"}, "--role listener: listeners are not connections"},
        {{"health", "--top", "0"}, "--top: 0 is out of range 1..1000"},
        {{"--json", "health", "--prometheus"}, "--json and --prometheus: give at most one of them"},
        {{"reap"}, "reap: give at least one selector"},
        {{"reap", "--verdict", "dead"}, "--verdict dead: unknown verdict"},
        {{"reap", "--verdict", "peer-closed", "--method", "kill"}, "--method kill: must be auto, destroy or shutdown"},
        {{"reap", "--idle-over", "1y"}, "--idle-over: \"1y\" is not a duration"},
    };
    for (const auto& [args, error] : cases) {
        const auto r = run_tool(args);
        EXPECT_EQ(r.exit_code, 2) << error << "\n" << r.out << r.err;
        EXPECT_EQ(r.out, "") << error;
        EXPECT_TRUE(r.err.starts_with("keepalive-tune: error: " + error)) << "want: " << error << "\ngot: " << r.err;
        EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    }
}

TEST(HealthCommandTest, JsonIsOneDocumentWithTheSchemaAndThePath) {
    const auto r = run_tool({"--json", "health", "--path", "aws-nlb-tcp,corp-fw=1800s"});
    ASSERT_LE(r.exit_code, 1) << r.err;
    const auto doc = nlohmann::json::parse(r.out);
    EXPECT_EQ(doc["schema"], "keepalive-tune.health.v1");
    ASSERT_EQ(doc["path"].size(), 2u);
    EXPECT_EQ(doc["path"][1]["name"], "corp-fw");
    EXPECT_EQ(doc["path"][1]["idle_timeout_ms"], 1800000);
    EXPECT_TRUE(doc["totals"].contains("likely-dropped"));
    EXPECT_TRUE(doc["connections"].is_array());
    EXPECT_TRUE(doc["warnings"].is_array());
}

}  // namespace
}  // namespace kt::test
