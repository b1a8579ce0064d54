// `check` as Nagios runs it: one line on stdout, exit 0-3, and every failure UNKNOWN (3).
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <nlohmann/json.hpp>
#include <algorithm>
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
    expect_unknown(run_tool({"check", "--ports-warn", "abc"}), "--ports-warn: abc is not a number in 0..100");
    // A '|' in the message would start Nagios perfdata: the stdout line replaces it.
    expect_unknown(run_tool({"check", "--ports-warn", "a|b"}), "--ports-warn: a|b is not a number in 0..100");
    expect_unknown(run_tool({"check", "--ports-warn", "90", "--ports-crit", "80"}), "--ports-warn: 90 is above ports-crit 80");
    expect_unknown(run_tool({"check", "--buckets-crit", "150"}), "--buckets-crit: 150 is out of range 0..100");
    expect_unknown(run_tool({"check", "--top", "0"}), "--top: 0 is out of range 1..1000");
    expect_unknown(run_tool({"check", "--portz-warn", "1"}), "--portz-warn: unknown option (did you mean \"--ports-warn\"?)");
    expect_unknown(run_tool({"check", "--format", "xml"}), "--format xml: must be nagios, json or prometheus");
}

// NaN compares false with every bound: it passed each range check, turned the alert off and
// put "nan" into perfdata. Hex, exponents, signs and fractions of counts are refused too.
TEST(CheckCommandTest, NanInfinityHexAndFractionalCountsAreUnknown) {
    expect_unknown(run_tool({"check", "--ports-warn", "nan", "--ports-crit", "nan"}), "--ports-warn: nan is not a number in 0..100");
    expect_unknown(run_tool({"check", "--timewait-crit", "nan", "--timewait-warn", "5"}),
                   "--timewait-crit: nan is not a whole number in 0..4294967295");
    expect_unknown(run_tool({"check", "--buckets-warn", "inf"}), "--buckets-warn: inf is not a number in 0..100");
    expect_unknown(run_tool({"check", "--timewait-warn", "1.5"}), "--timewait-warn: 1.5 is not a whole number");
    expect_unknown(run_tool({"check", "--timewait-warn", "0x10"}), "--timewait-warn: 0x10 is not a whole number");
    expect_unknown(run_tool({"check", "--timewait-warn", "1e3"}), "--timewait-warn: 1e3 is not a whole number");
    expect_unknown(run_tool({"check", "--buckets-crit", "-0"}), "--buckets-crit: -0 is not a number in 0..100");
}

// 150 is out of range; saying again that it is above ports-crit 80 added nothing.
TEST(CheckCommandTest, AnOutOfRangeThresholdIsReportedOnce) {
    auto r = run_tool({"check", "--ports-warn", "150"});
    expect_unknown(r, "--ports-warn: 150 is out of range 0..100");
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

TEST(CheckCommandTest, JsonAndAnotherFormatConflict) {
    expect_unknown(run_tool({"--json", "check", "--format", "nagios"}), "--json and --format nagios: give at most one of them");
    expect_unknown(run_tool({"--json", "check", "--format", "prometheus"}), "--json and --format prometheus: give at most one");
    auto same = run_tool({"--json", "check", "--format", "json", "--ports-warn", "100", "--ports-crit", "100",
                          "--buckets-warn", "100", "--buckets-crit", "100"});
    EXPECT_EQ(same.exit_code, 0) << same.err;
    EXPECT_EQ(nlohmann::json::parse(same.out)["status"], "OK");
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
