// `check` as Nagios runs it: one line on stdout, exit 0-3, and every failure UNKNOWN (3).
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <nlohmann/json.hpp>
#include <regex>

#include "support/run_binary.hpp"
#include "support/temp_dir.hpp"

namespace kt::test {
namespace {

const std::regex k_unknown_line(R"(KEEPALIVE-TUNE UNKNOWN - [^|\n]+\n)");

void expect_unknown(const RunResult& r, const std::string& error) {
    EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
    EXPECT_TRUE(std::regex_match(r.out, k_unknown_line)) << r.out;
    EXPECT_NE(r.err.find("keepalive-tune: error: " + error), std::string::npos) << r.err;
}

TEST(CheckCommandTest, OkOnThisHostWithPerfdata) {
    auto r = run_tool({"check", "--ports-warn", "100", "--ports-crit", "100", "--buckets-warn", "100", "--buckets-crit", "100"});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_TRUE(r.out.starts_with("KEEPALIVE-TUNE OK - ")) << r.out;
    EXPECT_NE(r.out.find(" | time_wait="), std::string::npos) << r.out;
}

TEST(CheckCommandTest, BadThresholdFlagsAreUnknown) {
    expect_unknown(run_tool({"check", "--ports-warn", "abc"}), "--ports-warn abc: expected a number");
    // A '|' in the message would start Nagios perfdata: the stdout line replaces it.
    expect_unknown(run_tool({"check", "--ports-warn", "a|b"}), "--ports-warn a|b: expected a number");
    expect_unknown(run_tool({"check", "--ports-warn", "90", "--ports-crit", "80"}), "--ports-warn: 90 is above ports-crit 80");
    expect_unknown(run_tool({"check", "--buckets-crit", "150"}), "--buckets-crit: 150 is out of range 0..100");
    expect_unknown(run_tool({"check", "--portz-warn", "1"}), "--portz-warn: unknown option (did you mean \"--ports-warn\"?)");
    expect_unknown(run_tool({"check", "--format", "xml"}), "--format xml: must be nagios, json or prometheus");
}

TEST(CheckCommandTest, BadConfigFilesAreUnknownWithFileAndPath) {
    TempDir dir;
    const auto a = dir.write("a.json", R"({"ports-warm": 10})");
    expect_unknown(run_tool({"check", "--config", a}), a + ": /ports-warm: unknown key (did you mean \"ports-warn\"?)");
    const auto b = dir.write("b.json", "{\"ports-warn\": 10,}");
    expect_unknown(run_tool({"check", "--config", b}), b + ":1:19: not valid JSON");
    expect_unknown(run_tool({"check", "--config", dir.path() + "/missing.json"}), dir.path() + "/missing.json: ");
}

TEST(CheckCommandTest, FlagsOverrideTheConfigFile) {
    TempDir dir;
    const auto config = dir.write("c.json", R"({"timewait-warn": 0, "ports-crit": 100})");
    // The config alone asks for a WARNING above 0 TIME_WAIT; the flag turns it back up.
    auto r = run_tool({"--json", "check", "--config", config, "--timewait-warn", "4000000000"});
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    const auto doc = nlohmann::json::parse(r.out);
    EXPECT_EQ(doc["thresholds"]["timewait"]["warn"], 4000000000.0);
    EXPECT_EQ(doc["thresholds"]["ports_percent"]["crit"], 100.0);
}

TEST(CheckCommandTest, ErrorsInJsonAndPrometheusFormatsAreStillUnknown) {
    TempDir dir;
    auto json = run_tool({"check", "--format", "json", "--ports-crit", "-5"});
    EXPECT_EQ(json.exit_code, 3);
    EXPECT_EQ(nlohmann::json::parse(json.out)["status"], "UNKNOWN");
    const std::string file = dir.path() + "/out.prom";
    auto prom = run_tool({"check", "--format", "prometheus", "--output", file, "--ports-crit", "-5"});
    EXPECT_EQ(prom.exit_code, 3);
    struct stat st {};
    ASSERT_EQ(stat(file.c_str(), &st), 0);
}

TEST(CheckCommandTest, AnUnwritableOutputIsUnknownWithALineForNagios) {
    expect_unknown(run_tool({"check", "--output", "/nonexistent-dir/x.prom"}), "/nonexistent-dir/x.prom");
}

TEST(CheckCommandTest, AProfileNeedsATargetAndATargetNeedsAProfile) {
    expect_unknown(run_tool({"check", "--profile", "aws-nlb"}), "--profile aws-nlb: give a target too");
    expect_unknown(run_tool({"check", "--pid", "1"}), "target: --pid, --comm and --cgroup need --profile P");
}

}  // namespace
}  // namespace kt::test
