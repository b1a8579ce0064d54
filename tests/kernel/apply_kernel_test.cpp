// apply, verify and undo on a separate process's sockets, checked from the target's own view.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "support/netns.hpp"
#include "support/run_binary.hpp"
#include "support/sockets.hpp"
#include "support/target_process.hpp"
#include "support/temp_dir.hpp"

namespace kt::test {
namespace {

// A profile in a temp dir: 2/1/3 with a 4000 ms user timeout.

const Options k_profile{1, 2, 1, 3, 4000};
const Options k_upstream_before{1, 100, 10, 5, 777};

TEST(ApplyKernelTest, TheTargetSeesTheProfileOnEverySocketAndNewConnectionsInheritIt) {
    KT_REQUIRE_KERNEL_TESTS();
    TempDir d;
    const auto profile = d.write_profile("t", 2, 1, 3, 4000);
    TargetProcess target("127.0.0.1", "", k_upstream_before);
    ASSERT_TRUE(target.ok());
    auto r = run_tool({"apply", profile, "--pid", std::to_string(target.pid())});
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("3 changed"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("note: listeners: connections accepted from now on inherit"), std::string::npos);
    const auto after = target.options();
    ASSERT_EQ(after.size(), 3u);
    for (const auto& o : after) EXPECT_EQ(o, k_profile);
    auto v = run_tool({"verify", profile, "--pid", std::to_string(target.pid())});
    EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
    EXPECT_EQ(target.accept_new(), k_profile);  // inherited from the listener at the handshake
    // The new connection's client side is an upstream socket nobody applied to: verify sees it.
    v = run_tool({"verify", profile, "--pid", std::to_string(target.pid())});
    EXPECT_EQ(v.exit_code, 1);
    EXPECT_NE(v.out.find("drift: 1 of 5"), std::string::npos) << v.out;
}

TEST(ApplyKernelTest, RoleLeavesOtherSocketsUntouched) {
    KT_REQUIRE_KERNEL_TESTS();
    TempDir d;
    const auto profile = d.write_profile("t", 2, 1, 3, 4000);
    TargetProcess target("127.0.0.1", "", k_upstream_before);
    ASSERT_TRUE(target.ok());
    const auto before = target.options();
    auto r = run_tool({"apply", profile, "--pid", std::to_string(target.pid()), "--role", "upstream"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto after = target.options();
    EXPECT_EQ(after[0], before[0]);  // listener
    EXPECT_EQ(after[1], k_profile);  // upstream
    EXPECT_EQ(after[2], before[2]);  // accepted
    auto v = run_tool({"verify", profile, "--pid", std::to_string(target.pid())});
    EXPECT_EQ(v.exit_code, 1);
    EXPECT_NE(v.out.find("drift: 2 of 3"), std::string::npos) << v.out;
}

TEST(ApplyKernelTest, DryRunChangesNothingAndUndoRestoresTheExactBeforeValues) {
    KT_REQUIRE_KERNEL_TESTS();
    TempDir d;
    const auto profile = d.write_profile("t", 2, 1, 3, 4000);
    TargetProcess target("127.0.0.1", "", k_upstream_before);
    ASSERT_TRUE(target.ok());
    const auto before = target.options();
    auto dry = run_tool({"apply", profile, "--pid", std::to_string(target.pid()), "--dry-run"});
    EXPECT_EQ(dry.exit_code, 0);
    EXPECT_NE(dry.out.find("3 to change"), std::string::npos) << dry.out;
    EXPECT_EQ(target.options(), before);

    const std::string undo = d.path() + "/undo.json";
    ASSERT_EQ(run_tool({"apply", profile, "--pid", std::to_string(target.pid()), "--undo-file", undo}).exit_code, 0);
    EXPECT_NE(target.options(), before);
    auto u = run_tool({"undo", undo});
    EXPECT_EQ(u.exit_code, 0) << u.out << u.err;
    EXPECT_NE(u.out.find("3 socket(s) restored"), std::string::npos) << u.out;
    EXPECT_EQ(target.options(), before);
    EXPECT_EQ(target.options()[1], k_upstream_before);
}

TEST(ApplyKernelTest, UndoNeverTouchesAReusedFdAndReportsGoneSockets) {
    KT_REQUIRE_KERNEL_TESTS();
    TempDir d;
    const auto profile = d.write_profile("t", 2, 1, 3, 4000);
    const std::string undo = d.path() + "/undo.json";
    {
        TargetProcess target;
        ASSERT_TRUE(target.ok());
        ASSERT_EQ(run_tool({"apply", profile, "--pid", std::to_string(target.pid()), "--undo-file", undo}).exit_code, 0);
    }
    auto u = run_tool({"--json", "undo", undo});
    EXPECT_EQ(u.exit_code, 0) << u.err;
    auto doc = nlohmann::json::parse(u.out);
    EXPECT_EQ(doc["summary"]["sockets"]["gone"], 3);
    EXPECT_EQ(doc["summary"]["sockets"]["restored"], 0);
    for (const auto& s : doc["sockets"]) EXPECT_TRUE(s["before"].is_null()) << s;
}

TEST(ApplyKernelTest, JsonPlanListsEverySocketWithBeforeAndTargetValues) {
    KT_REQUIRE_KERNEL_TESTS();
    TempDir d;
    const auto profile = d.write_profile("t", 2, 1, 3, 4000);
    TargetProcess target("127.0.0.1", "", k_upstream_before);
    ASSERT_TRUE(target.ok());
    auto r = run_tool({"--json", "apply", profile, "--pid", std::to_string(target.pid()), "--dry-run"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto doc = nlohmann::json::parse(r.out);
    EXPECT_EQ(doc["schema"], "keepalive-tune.apply.v2");
    EXPECT_EQ(doc["dry_run"], true);
    ASSERT_EQ(doc["sockets"].size(), 3u);
    for (const auto& s : doc["sockets"]) {
        EXPECT_EQ(s["result"], "planned");
        EXPECT_EQ(s["target"]["idle_seconds"], 2);
        if (s["role"] == "upstream") {
            EXPECT_EQ(s["before"]["user_timeout_ms"], 777);
        }
    }
}

TEST(ApplyKernelTest, BadInputExits2AndChangesNothing) {
    KT_REQUIRE_KERNEL_TESTS();
    TempDir d;
    const auto profile = d.write_profile("t", 2, 1, 3, 4000);
    const auto broken = d.write("broken.json", "{\"name\": \"broken\"}");
    TargetProcess target("127.0.0.1", "", k_upstream_before);
    ASSERT_TRUE(target.ok());
    const auto before = target.options();
    const std::string pid = std::to_string(target.pid());
    const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
        // PID_MAX_LIMIT: the kernel hands out pids below it.
        {{"apply", profile, "--pid", "4194304"}, "--pid 4194304: no such process"},
        {{"apply", profile, "--pid", "999999999"}, "--pid: 999999999 is out of range 1..4194304"},
        {{"apply", broken, "--pid", pid}, "/summary: required key is missing"},
        {{"apply", profile}, "give a target"},
        {{"apply", profile, "--pid", pid, "--sysctl"}, "--sysctl: sets namespace defaults"},
        {{"apply", profile, "--pid", pid, "--watch", "5", "--dry-run"}, "--watch: keeps changing sockets"},
        {{"apply", profile, "--pid", pid, "--netns", "x"}, "--netns: selects namespaces for --sysctl"},
        {{"apply", profile, "--pid", pid, "--port", "1"}, "target: no matching TCP sockets"},
        {{"apply", profile, "--pid", pid, "--role", "server"}, "--role server: unknown role"},
        {{"apply", profile, "--comm", "kt-no-such-comm"}, "--comm kt-no-such-comm: no process has this name"},
        {{"apply", profile, "--cgroup", "kt-no-such-cgroup"}, "--cgroup kt-no-such-cgroup"},
        {{"apply", profile, "--pid", pid, "--undo-file", "/nonexistent/dir/u.json"}, "--undo-file /nonexistent/dir/u.json"},
        {{"verify", profile}, "give a target"},
        {{"undo", "/nonexistent/u.json"}, "/nonexistent/u.json: No such file or directory"},
        {{"undo", profile}, "not a keepalive-tune undo file"},
    };
    for (const auto& [args, error] : cases) {
        auto r = run_tool(args);
        EXPECT_EQ(r.exit_code, 2) << error << "\n" << r.out << r.err;
        EXPECT_NE(r.err.find(error), std::string::npos) << "want: " << error << "\ngot: " << r.err;
        EXPECT_TRUE(r.err.starts_with("keepalive-tune: error: ")) << r.err;
        EXPECT_EQ(target.options(), before) << error;
    }
}

TEST(ApplyKernelTest, WatchAppliesToNewConnectionsAndExitsZeroOnSigterm) {
    KT_REQUIRE_KERNEL_TESTS();
    TempDir d;
    const auto profile = d.write_profile("t", 2, 1, 3, 4000);
    TargetProcess target;
    ASSERT_TRUE(target.ok());
    const std::string out = d.path() + "/watch.out";
    ChildProcess watcher([&](int) {
        const int fd = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(fd, 1);
        execl(tool_path().c_str(), "keepalive-tune", "apply", profile.c_str(), "--pid",
              std::to_string(target.pid()).c_str(), "--role", "upstream", "--watch", "1", nullptr);
        _exit(127);
    });
    // The first pass changes the existing upstream socket; wait for it (bounded).
    for (int i = 0; i < 50 && target.options()[1] != k_profile; ++i) usleep(100 * 1000);
    ASSERT_EQ(target.options()[1], k_profile);
    const int fresh = target.connect_new();
    ASSERT_GE(fresh, 0);
    bool applied = false;
    for (int i = 0; i < 40 && !applied; ++i) {
        usleep(100 * 1000);
        applied = target.options_of(fresh) == k_profile;
    }
    EXPECT_TRUE(applied);
    kill(watcher.pid(), SIGTERM);
    int status = 0;
    for (int i = 0; i < 50 && waitpid(watcher.pid(), &status, WNOHANG) == 0; ++i) usleep(100 * 1000);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
    const auto text = shell("cat " + out);
    EXPECT_NE(text.find("pass "), std::string::npos) << text;
    EXPECT_NE(text.find(": changed 1,"), std::string::npos) << text;
}

TEST(ApplyKernelTest, SysctlModeSetsOneNamespacesDefaultsAndUndoPutsThemBack) {
    KT_REQUIRE_KERNEL_TESTS();
    TempDir d;
    const auto profile = d.write_profile("t", 200, 20, 4, 4000);
    TestNetns ns;
    ASSERT_TRUE(ns.ok());
    const auto host_before = shell("sysctl -n net.ipv4.tcp_keepalive_time");
    const std::string undo = d.path() + "/undo.json";
    auto r = run_tool({"apply", profile, "--sysctl", "--netns", ns.name(), "--undo-file", undo});
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("pick the new defaults up only after their next firing"), std::string::npos) << r.out;
    EXPECT_EQ(ns.exec("sysctl -n net.ipv4.tcp_keepalive_time net.ipv4.tcp_keepalive_intvl net.ipv4.tcp_keepalive_probes"),
              "200\n20\n4\n");
    EXPECT_EQ(shell("sysctl -n net.ipv4.tcp_keepalive_time"), host_before);
    auto u = run_tool({"undo", undo});
    EXPECT_EQ(u.exit_code, 0) << u.out << u.err;
    EXPECT_EQ(ns.exec("sysctl -n net.ipv4.tcp_keepalive_time net.ipv4.tcp_keepalive_intvl net.ipv4.tcp_keepalive_probes"),
              "7200\n75\n9\n");
}

}  // namespace
}  // namespace kt::test

namespace kt::test {
namespace {

TEST(ApplyKernelTest, CgroupTargetsEveryProcessOfTheCgroup) {
    KT_REQUIRE_KERNEL_TESTS();
    const std::string mount = shell("awk '$3 == \"cgroup2\" {print $2; exit}' /proc/self/mounts");
    if (mount.empty()) GTEST_SKIP() << "no cgroup v2 mount";
    const std::string root = mount.substr(0, mount.size() - 1);
    const std::string name = "kt-test-" + std::to_string(getpid());
    if (mkdir((root + "/" + name).c_str(), 0755) != 0) GTEST_SKIP() << "cannot create a cgroup under " << root;
    TempDir d;
    const auto profile = d.write_profile("t", 2, 1, 3, 4000);
    {
        TargetProcess target("127.0.0.1", "", k_upstream_before);
        ASSERT_TRUE(target.ok());
        shell("echo " + std::to_string(target.pid()) + " > " + root + "/" + name + "/cgroup.procs");
        auto r = run_tool({"apply", profile, "--cgroup", name});
        EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
        for (const auto& o : target.options()) EXPECT_EQ(o, k_profile);
    }
    rmdir((root + "/" + name).c_str());
}

}  // namespace
}  // namespace kt::test

namespace kt::test {
namespace {

TEST(ApplyKernelTest, ThePidfdEngineSaysWhenTheDescriptorLimitIsTooLowAndChangesNothing) {
    KT_REQUIRE_KERNEL_TESTS();
    if (access("/usr/bin/prlimit", X_OK) != 0) GTEST_SKIP() << "needs util-linux's prlimit";
    TempDir d;
    const auto profile = d.write_profile("t", 2, 1, 3, 4000);
    TargetProcess target;
    ASSERT_TRUE(target.ok());
    const auto before = target.options();
    auto r = run_program({"/usr/bin/prlimit", "--nofile=50:50", tool_path(), "apply", profile, "--pid",
                          std::to_string(target.pid()), "--engine", "pidfd"});
    EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
    EXPECT_EQ(r.err, "keepalive-tune: error: pidfd engine: holds a descriptor per socket: 3 sockets and 64 of its own "
                     "are more than its RLIMIT_NOFILE of 50; use --engine bpf, or narrow the targets\n");
    EXPECT_EQ(target.options(), before);
}

}  // namespace
}  // namespace kt::test
