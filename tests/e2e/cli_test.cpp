// The built binary: help, version, usage errors and exit codes.
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "support/run_binary.hpp"

namespace kt::test {
namespace {

TEST(CliTest, HelpListsEveryCommandWithASummary) {
    auto r = run_tool({"--help"});
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_NE(r.out.find("profile "), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("Exit codes"), std::string::npos);
}

TEST(CliTest, VersionPrintsTheVersion) {
    auto r = run_tool({"--version"});
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_TRUE(r.out.starts_with("keepalive-tune ")) << r.out;
}

TEST(CliTest, UnknownCommandSuggestsTheNearestAndExits2) {
    auto r = run_tool({"profil", "list"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_EQ(r.out, "");
    EXPECT_TRUE(r.err.starts_with("keepalive-tune: error: profil: unknown command (did you mean \"profile\"?)")) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << "one line: " << r.err;
}

TEST(CliTest, UnknownOptionSuggestsTheNearest) {
    auto r = run_tool({"profile", "list", "--jsno"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_TRUE(r.err.starts_with("keepalive-tune: error: --jsno: unknown option (did you mean \"--json\"?)")) << r.err;
}

TEST(CliTest, MissingSubcommandIsAUsageError) {
    auto r = run_tool({});
    EXPECT_EQ(r.exit_code, 2);
    // The program's name is the line's prefix; it is not repeated as the thing that is wrong.
    EXPECT_TRUE(r.err.starts_with("keepalive-tune: error: command: none given; give one of inspect, ")) << r.err;
}

// Numeric flags answer in the tool's own words, not CLI11's ("Value -5 not in range
// 0.000000 to 1797...", "1 required TEXT missing", "At Most 1 required but received 2").
TEST(CliTest, NumericAndMissingValuesGetTheToolsOwnErrorLine) {
    const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
        {{"inspect", "--pid", "-5"}, "--pid: -5 is not a whole number in 1..4194304"},
        {{"inspect", "--pid", "0"}, "--pid: 0 is out of range 1..4194304"},
        {{"inspect", "--netns-of", "abc"}, "--netns-of: abc is not a whole number in 1..4194304"},
        {{"apply", "aws-nlb", "--pid", "1", "--watch", "0"}, "--watch: 0 is out of range 1..86400"},
        {{"timewait", "--top", "x"}, "--top: x is not a whole number in 1..1000"},
        {{"timewait", "--top", "1001"}, "--top: 1001 is out of range 1..1000"},
        {{"inspect", "--comm"}, "--comm: needs a value"},
    };
    for (const auto& [args, error] : cases) {
        auto r = run_tool(args);
        EXPECT_EQ(r.exit_code, 2) << error;
        EXPECT_TRUE(r.err.starts_with("keepalive-tune: error: " + error)) << "want: " << error << "\ngot: " << r.err;
        EXPECT_EQ(r.err.find("Value "), std::string::npos) << r.err;
    }
}

TEST(CliTest, HelpShowsTypeNamesWithoutCli11Ranges) {
    for (const char* command : {"inspect", "timewait", "apply", "check"}) {
        auto r = run_tool({command, "--help"});
        EXPECT_EQ(r.exit_code, 0);
        EXPECT_EQ(r.out.find("UINT:"), std::string::npos) << r.out;
        EXPECT_EQ(r.out.find("INT:POSITIVE"), std::string::npos) << r.out;
        EXPECT_EQ(r.out.find(" in ["), std::string::npos) << r.out;
    }
}

TEST(CliTest, JsonFlagWorksBeforeAndAfterTheCommand) {
    auto before = run_tool({"--json", "profile", "middleboxes"});
    auto after = run_tool({"profile", "middleboxes", "--json"});
    EXPECT_EQ(before.exit_code, 0);
    EXPECT_EQ(before.out, after.out);
    EXPECT_TRUE(before.out.starts_with("{")) << before.out;
}

}  // namespace
}  // namespace kt::test
