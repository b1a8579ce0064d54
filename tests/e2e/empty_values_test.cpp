// An empty value ("$POD" with POD unset) or the cgroup2 root never widens a command to the host
// or to every process: exit 2, one line naming the option, nothing printed on stdout and
// nothing changed, in every command that takes the option.
#include <gtest/gtest.h>
#include <unistd.h>

#include "support/run_binary.hpp"

namespace kt::test {
namespace {

TEST(EmptyValuesTest, EveryEmptySelectorIsExit2NamingTheOption) {
    const std::string self = std::to_string(getpid());
    const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
        {{"apply", "aws-nlb", "--sysctl", "--pod", "", "--dry-run"}, "--pod"},
        {{"apply", "aws-nlb", "--sysctl", "--container", "", "--dry-run"}, "--container"},
        {{"apply", "aws-nlb", "--sysctl", "--netns", "", "--dry-run"}, "--netns"},
        {{"apply", "aws-nlb", "--cgroup", "", "--dry-run"}, "--cgroup"},
        {{"apply", "aws-nlb", "--pod", "", "--dry-run"}, "--pod"},
        {{"apply", "aws-nlb", "--pid", self, "--undo-file", ""}, "--undo-file"},
        {{"verify", "aws-nlb", "--cgroup", ""}, "--cgroup"},
        {{"inspect", "--pod", ""}, "--pod"},
        {{"inspect", "--netns", ""}, "--netns"},
        {{"inspect", "--role", ""}, "--role"},
        {{"health", "--idle-over", ""}, "--idle-over"},
        {{"health", "--paths", ""}, "--paths"},
        {{"health", "--container", ""}, "--container"},
        {{"reap", "--pod", "", "--verdict", "retransmitting", "--dry-run"}, "--pod"},
        {{"reap", "--idle-over", "", "--dry-run"}, "--idle-over"},
        {{"probe", "--netns", "", "127.0.0.1:1"}, "--netns"},
        {{"timewait", "--netns", ""}, "--netns"},
        {{"enforce", "aws-nlb", "--pod", ""}, "--pod"},
        {{"enforce", "aws-nlb", "--cgroup", ""}, "--cgroup"},
        {{"audit", "--comm", ""}, "--comm"},
        {{"agent", "--policy", "", "--once", "--dry-run"}, "--policy"},
        {{"agent", "--policy", "p.yaml", "--state-dir", "", "--once"}, "--state-dir"},
        {{"agent", "--policy", "p.yaml", "--pod-logs", "", "--once"}, "--pod-logs"},
        {{"agent", "--policy", "p.yaml", "--metrics-listen", ""}, "--metrics-listen"},
        {{"--profile-dir", "", "profile", "list"}, "--profile-dir"},
    };
    for (const auto& [args, option] : cases) {
        const auto r = run_tool(args);
        EXPECT_EQ(r.exit_code, 2) << option << "\n" << r.out << r.err;
        EXPECT_EQ(r.out, "") << option;
        EXPECT_TRUE(r.err.starts_with("keepalive-tune: error: " + option + ": empty value")) << "got: " << r.err;
    }
}

TEST(EmptyValuesTest, TheCgroupRootIsRefusedAsEveryProcessOfTheHost) {
    for (const std::string root : {"/", ".", "//", "./"}) {
        for (const auto& args : std::vector<std::vector<std::string>>{{"apply", "aws-nlb", "--cgroup", root, "--dry-run"},
                                                                    {"verify", "aws-nlb", "--cgroup", root},
                                                                    {"enforce", "aws-nlb", "--cgroup", root}}) {
            const auto r = run_tool(args);
            EXPECT_EQ(r.exit_code, 2) << args[0] << " " << root << "\n" << r.out << r.err;
            EXPECT_EQ(r.out, "");
            EXPECT_TRUE(r.err.starts_with("keepalive-tune: error: --cgroup " + root + ": is the cgroup2 root"))
                << r.err;
        }
    }
}

// check speaks Nagios: the same refusal is UNKNOWN, exit 3, with its line on stdout.
TEST(EmptyValuesTest, CheckSaysUnknownForAnEmptyValue) {
    const auto r = run_tool({"check", "--netns", ""});
    EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
    EXPECT_TRUE(r.out.starts_with("KEEPALIVE-TUNE UNKNOWN - --netns: empty value")) << r.out;
    EXPECT_NE(r.err.find("--netns: empty value"), std::string::npos) << r.err;
}

// exec passes its program's arguments as they are: an empty one is the program's business.
TEST(EmptyValuesTest, ExecKeepsTheProgramsEmptyArguments) {
    const auto r = run_tool({"exec", "aws-nlb", "--", "/bin/sh", "-c", "test -z \"$1\" && echo empty", "sh", ""});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_EQ(r.out, "empty\n");
}

}  // namespace
}  // namespace kt::test
