// The built binary: help, version, usage errors and exit codes.
#include <gtest/gtest.h>

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
    EXPECT_NE(r.err.find("a subcommand is required"), std::string::npos) << r.err;
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
