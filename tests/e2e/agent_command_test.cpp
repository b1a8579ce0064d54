// `agent` with bad input: exit 2 with the file:line:column and why, before anything is locked,
// recorded or attached (the state directory is not even made).
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "support/run_binary.hpp"
#include "support/temp_dir.hpp"

namespace kt::test {
namespace {

struct BadPolicy {
    std::string what;
    std::string text;
    std::string error;  // expected in stderr
};

TEST(AgentCommandTest, ABadPolicyIsExit2WithItsPositionAndNothingIsAttached) {
    TempDir d;
    const std::string head = "schema: keepalive-tune.policy.v1\nrules:\n";
    const std::vector<BadPolicy> cases = {
        {"unknown key", head + "  - name: a\n    profile: aws-nlb\n    match: {unit: x}\n    existing: true\n    exsting: false\n",
         "policy.yaml:7:14: unknown key \"exsting\" in a rule (did you mean \"existing\"?)"},
        {"unknown profile", head + "  - name: a\n    profile: aws-nbl\n    match: {unit: x}\n",
         "policy.yaml:4:14: rule a: profile "},
        {"no match key", head + "  - name: a\n    profile: aws-nlb\n    match: {}\n", "policy.yaml:5:5: match: give at least one"},
        {"duplicate names", head + "  - name: a\n    profile: aws-nlb\n    match: {unit: x}\n  - name: a\n    profile: aws-nlb\n"
                                   "    match: {unit: y}\n",
         "policy.yaml:6:11: rule name \"a\" is used twice"},
        {"bad glob", head + "  - name: a\n    profile: aws-nlb\n    match: {cgroup: \"a[b\"}\n", "'[' at character 2 is not closed"},
        {"not YAML", "schema: [\n", "policy.yaml:"},
    };
    const std::string state = d.path() + "/state";
    for (const auto& c : cases) {
        const auto policy = d.write("policy.yaml", c.text);
        for (const bool once : {false, true}) {
            std::vector<std::string> args{"agent", "--policy", policy, "--state-dir", state, "--metrics-listen", "127.0.0.1:1"};
            if (once) args.insert(args.end(), {"--once", "--dry-run"});
            const auto r = run_tool(args);
            EXPECT_EQ(r.exit_code, 2) << c.what << "\n" << r.out << r.err;
            EXPECT_NE(r.err.find(c.error), std::string::npos) << c.what << "\n" << r.err;
            EXPECT_TRUE(r.err.starts_with("keepalive-tune: error: ")) << r.err;
            EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << "one line: " << r.err;
            EXPECT_EQ(r.out, "") << c.what;
        }
    }
    EXPECT_FALSE(std::filesystem::exists(state)) << "nothing recorded for a policy that was refused";
}

TEST(AgentCommandTest, ADirectoryAMissingFileAndAnUnreadableFileAreRefused) {
    TempDir d;
    auto dir = run_tool({"agent", "--policy", d.path(), "--once", "--dry-run"});
    EXPECT_EQ(dir.exit_code, 2);
    EXPECT_NE(dir.err.find("--policy " + d.path() + ": is a directory; give the policy file"), std::string::npos) << dir.err;
    auto missing = run_tool({"agent", "--policy", d.path() + "/nope.yaml", "--once", "--dry-run"});
    EXPECT_EQ(missing.exit_code, 2);
    EXPECT_NE(missing.err.find("nope.yaml: No such file or directory"), std::string::npos) << missing.err;
    // Root reads a file whatever its mode: a file whose read fails (EIO) stands in for it then.
    const auto policy = d.write("policy.yaml", "schema: keepalive-tune.policy.v1\nrules: []\n");
    chmod(policy.c_str(), 0);
    const std::string unreadable_file = geteuid() == 0 ? "/proc/self/mem" : policy;
    auto unreadable = run_tool({"agent", "--policy", unreadable_file, "--once", "--dry-run"});
    EXPECT_EQ(unreadable.exit_code, 2);
    EXPECT_NE(unreadable.err.find(geteuid() == 0 ? "/proc/self/mem: Input/output error" : "Permission denied"), std::string::npos)
        << unreadable.err;
}

TEST(AgentCommandTest, FlagsThatDoNotGoTogetherAreRefused) {
    EXPECT_EQ(run_tool({"agent"}).exit_code, 2);
    const auto dry = run_tool({"agent", "--policy", "p.yaml", "--dry-run"});
    EXPECT_EQ(dry.exit_code, 2);
    EXPECT_NE(dry.err.find("--dry-run: give --once too"), std::string::npos) << dry.err;
    const auto detach = run_tool({"agent", "--detach", "--once"});
    EXPECT_EQ(detach.exit_code, 2);
    EXPECT_NE(detach.err.find("--detach: takes no --once or --dry-run"), std::string::npos) << detach.err;
    TempDir d;
    const auto policy = d.write("policy.yaml", "schema: keepalive-tune.policy.v1\nrules:\n  - name: a\n    profile: aws-nlb\n"
                                               "    match: {unit: x}\n");
    const auto listen = run_tool({"agent", "--policy", policy, "--metrics-listen", "localhost"});
    EXPECT_EQ(listen.exit_code, 2);
    EXPECT_NE(listen.err.find("write ADDR:PORT"), std::string::npos) << listen.err;
}

// The policies the README and the package show are policies this agent takes.
TEST(AgentCommandTest, TheReadmesAndTheShippedExamplePoliciesAreValid) {
    TempDir d;
    std::ifstream in(source_dir() + "/README.md");
    const std::string readme((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto start = readme.find("```yaml\nschema: keepalive-tune.policy.v1\n");
    ASSERT_NE(start, std::string::npos);
    const auto end = readme.find("```\n", start + 8);
    std::string policy = readme.substr(start + 8, end - start - 8);
    // The paths file it names is the reader's own.
    const auto paths = policy.find("  paths: ");
    ASSERT_NE(paths, std::string::npos);
    policy.erase(paths, policy.find('\n', paths) + 1 - paths);
    std::vector<std::string> files{d.write("readme.yaml", policy)};
    const std::string example = source_dir() + "/systemd/policy.yaml.example";
    if (std::filesystem::exists(example)) files.push_back(example);
    for (const auto& f : files) {
        const auto r = run_tool({"agent", "--policy", f, "--state-dir", d.path() + "/state", "--once", "--dry-run"});
        EXPECT_EQ(r.exit_code, 0) << f << "\n" << r.out << r.err;
        EXPECT_TRUE(r.out.starts_with("plan (dry run, nothing changed): policy " + f)) << r.out;
    }
}

}  // namespace
}  // namespace kt::test
