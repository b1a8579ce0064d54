// `audit --pid/--comm` on bad input: each problem is one error line naming the pid or name, exit 2.
#include <gtest/gtest.h>
#include <unistd.h>

#include "support/run_binary.hpp"

namespace kt::test {
namespace {

TEST(AuditProcessCommandTest, APidThatDoesNotExistIsOneErrorLine) {
    const auto r = run_tool({"audit", "--pid", "4194304"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_EQ(r.err, "keepalive-tune: error: --pid 4194304: no such process\n");
    EXPECT_EQ(r.out, "");
}

TEST(AuditProcessCommandTest, AProcessThatIsNoProxyIsNamedWithWhatItIs) {
    // This test program: neither nginx, HAProxy nor Envoy.
    const auto r = run_tool({"audit", "--pid", std::to_string(getpid())});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_TRUE(r.err.starts_with("keepalive-tune: error: --pid " + std::to_string(getpid()) + ": is \"kt_e2e_tests\""))
        << r.err;
    EXPECT_NE(r.err.find("not nginx, HAProxy or Envoy"), std::string::npos) << r.err;
}

TEST(AuditProcessCommandTest, PidTakesOneValueSoAFileAfterItStaysAFile) {
    // The file is audited (and is fine); the pid is what fails.
    const auto r = run_tool({"audit", "--pid", "4194304", source_dir() + "/tests/data/audit/nginx/clean.conf"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_EQ(r.err, "keepalive-tune: error: --pid 4194304: no such process\n");
}

TEST(AuditProcessCommandTest, ACommNoProcessHasIsAnError) {
    const auto r = run_tool({"audit", "--comm", "kt-no-such-proc"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("--comm kt-no-such-proc: no process has this name"), std::string::npos) << r.err;
}

TEST(AuditProcessCommandTest, EngineWithoutAProcessIsAUsageError) {
    const auto r = run_tool({"audit", source_dir() + "/tests/data/audit/nginx/clean.conf", "--engine", "pidfd"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("--engine: chooses how --pid and --comm read listening sockets"), std::string::npos) << r.err;
}

TEST(AuditProcessCommandTest, NothingToAuditSaysWhatToGive) {
    const auto r = run_tool({"audit"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("give at least one configuration file, --pid or --comm"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace kt::test
