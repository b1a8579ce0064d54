// apply --watch for pools that connect lazily and for targets that exit; --dry-run with an
// undo file says what it does not do.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <optional>

#include "support/netns.hpp"
#include "support/run_binary.hpp"
#include "support/sockets.hpp"
#include "support/target_process.hpp"
#include "support/temp_dir.hpp"

namespace kt::test {
namespace {

// keepalive-tune apply ... with stdout into `out`, as a child this test stops by PID.
std::unique_ptr<ChildProcess> start_watch(const std::vector<std::string>& args, const std::string& out) {
    return std::make_unique<ChildProcess>([args, out](int) {
        const int fd = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(fd, 1);
        std::vector<char*> argv{const_cast<char*>("keepalive-tune")};
        for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
        argv.push_back(nullptr);
        execv(tool_path().c_str(), argv.data());
        _exit(127);
    });
}

// Waits up to `tenths` tenths of a second for the child to exit; its status, or -1.
int wait_exit(pid_t pid, int tenths) {
    int status = 0;
    for (int i = 0; i < tenths; ++i) {
        if (waitpid(pid, &status, WNOHANG) == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        usleep(100 * 1000);
    }
    return -1;
}

bool upstream_carries(pid_t pid, int idle) {
    auto r = run_tool({"--json", "inspect", "--exact", "--pid", std::to_string(pid)});
    if (r.exit_code != 0) return false;
    const auto doc = nlohmann::json::parse(r.out);  // kept: a range-for over a temporary's member dangles
    for (const auto& s : doc["sockets"])
        if (s["role"] == "upstream" && s["exact"].contains("idle_seconds") && s["exact"]["idle_seconds"] == idle) return true;
    return false;
}

// Before: exit 2 at once ("no matching TCP sockets"), so a lazily connecting pool could not
// be watched.
TEST(ApplyWatchTest, AnEmptyFirstPassIsANoteAndTheWatchCatchesTheFirstConnection) {
    KT_REQUIRE_KERNEL_TESTS();
    TempDir d;
    const auto profile = d.write_profile("t", 2, 1, 3);
    const int listener = listen_on("127.0.0.1");
    const auto port = local_port(listener);
    ChildProcess pool([&](int ready) {
        close(listener);  // the pool owns no socket until it connects
        const int one = 1;
        if (write(ready, &one, sizeof one) != sizeof one) _exit(1);
        sleep(2);
        const int fd = connect_to("127.0.0.1", port);
        for (int i = 0; i < 60 && fd >= 0; ++i) sleep(1);
        _exit(0);
    });
    ASSERT_EQ(pool.wait_ready(), 1);
    const std::string out = d.path() + "/watch.out";
    auto watcher = start_watch({"apply", profile, "--pid", std::to_string(pool.pid()), "--role", "upstream", "--watch", "1"}, out);
    bool applied = false;
    for (int i = 0; i < 60 && !applied; ++i) {
        usleep(100 * 1000);
        applied = upstream_carries(pool.pid(), 2);
    }
    EXPECT_TRUE(applied) << shell("cat " + out) << run_tool({"inspect", "--exact", "--pid", std::to_string(pool.pid())}).out;
    EXPECT_EQ(wait_exit(watcher->pid(), 1), -1) << "the watch ended early: " << shell("cat " + out);
    kill(watcher->pid(), SIGTERM);
    EXPECT_EQ(wait_exit(watcher->pid(), 50), 0);
    const auto text = shell("cat " + out);
    EXPECT_NE(text.find("note: no matching socket yet; watching every 1 s"), std::string::npos) << text;
    close(listener);
}

// Before: it ran on in silence after its only target had exited.
TEST(ApplyWatchTest, AWatchOfPidsEndsWhenTheyHaveAllExited) {
    KT_REQUIRE_KERNEL_TESTS();
    TempDir d;
    const auto profile = d.write_profile("t", 2, 1, 3);
    std::optional<TargetProcess> target;
    target.emplace();
    ASSERT_TRUE(target->ok());
    const auto pid = target->pid();
    const std::string out = d.path() + "/watch.out";
    auto watcher = start_watch({"apply", profile, "--pid", std::to_string(pid), "--watch", "1"}, out);
    for (int i = 0; i < 50 && target->options()[1][1] != 2; ++i) usleep(100 * 1000);
    ASSERT_EQ(target->options()[1][1], 2) << "first pass";
    target.reset();  // killed and reaped
    EXPECT_EQ(wait_exit(watcher->pid(), 50), 0) << shell("cat " + out);
    const auto text = shell("cat " + out);
    EXPECT_NE(text.find("pid " + std::to_string(pid) + " exited"), std::string::npos) << text;
    EXPECT_NE(text.find("every --pid target has exited: nothing left to watch"), std::string::npos) << text;
}

// Before: the undo file was silently not written.
TEST(ApplyWatchTest, ADryRunSaysItDoesNotWriteTheUndoFile) {
    KT_REQUIRE_KERNEL_TESTS();
    TempDir d;
    const auto profile = d.write_profile("t", 2, 1, 3);
    TargetProcess target;
    ASSERT_TRUE(target.ok());
    const std::string undo = d.path() + "/undo.json";
    auto r = run_tool({"apply", profile, "--pid", std::to_string(target.pid()), "--dry-run", "--undo-file", undo});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("warning: --undo-file " + undo + ": can be written; not written in a dry run"), std::string::npos) << r.err;
    struct stat st {};
    EXPECT_NE(stat(undo.c_str(), &st), 0);
}

// Two runs against one process: the second is refused with a line naming the first, dry runs
// and undo included, and the lock goes when the first run dies, even by SIGKILL.
TEST(ApplyWatchTest, ASecondRunOnTheSameProcessIsRefusedUntilTheFirstEnds) {
    KT_REQUIRE_KERNEL_TESTS();
    TempDir d;
    const auto profile = d.write_profile("t", 2, 1, 3);
    const auto other = d.write_profile("other", 5, 2, 4);
    TargetProcess target;
    ASSERT_TRUE(target.ok());
    const std::string pid = std::to_string(target.pid());
    const std::string out = d.path() + "/watch.out";
    auto watcher = start_watch({"apply", profile, "--pid", pid, "--watch", "1"}, out);
    // The first pass is over when its summary is out: a socket changed says only that the pass
    // is under way (the BPF engine changes the sockets one after another).
    for (int i = 0; i < 50 && shell("cat " + out).find(" changed, ") == std::string::npos; ++i) usleep(100 * 1000);
    ASSERT_NE(shell("cat " + out).find("3 changed, 0 compliant, 0 failed"), std::string::npos)
        << "first pass of the watch: " << shell("cat " + out);
    const auto before = target.options();

    // An undo file for the target's upstream socket, as an apply would have written it.
    auto doc = nlohmann::json::parse(run_tool({"--json", "inspect", "--pid", pid, "--role", "upstream"}).out);
    ASSERT_EQ(doc["sockets"].size(), 1u);
    const auto& up = doc["sockets"][0];
    const auto undo = d.write("undo.json", nlohmann::json({{"schema", "keepalive-tune.undo.v2"},
                                                           {"profile", "t"},
                                                           {"sysctls", nlohmann::json::array()},
                                                           {"sockets", {{{"pid", target.pid()},
                                                                         {"fd", up["process"]["fd"]},
                                                                         {"inode", up["inode"]},
                                                                         {"role", "upstream"},
                                                                         {"state", "established"},
                                                                         {"local", up["local"]},
                                                                         {"peer", up["peer"]},
                                                                         {"before", {{"so_keepalive", false},
                                                                                     {"idle_seconds", 7200},
                                                                                     {"interval_seconds", 75},
                                                                                     {"count", 9},
                                                                                     {"user_timeout_ms", 0}}}}}}})
                                                 .dump());
    const std::string held = "pid " + pid + ": held by keepalive-tune apply t --watch 1 (pid " + std::to_string(watcher->pid()) + ")";
    for (const auto& args : std::vector<std::vector<std::string>>{{"apply", other, "--pid", pid},
                                                                  {"apply", other, "--pid", pid, "--dry-run"},
                                                                  {"undo", undo}}) {
        const auto r = run_tool(args);
        EXPECT_EQ(r.exit_code, 2) << args[0] << r.out << r.err;
        EXPECT_NE(r.err.find(held), std::string::npos) << r.err;
    }
    EXPECT_EQ(target.options(), before) << "nothing changed by the refused runs";

    kill(watcher->pid(), SIGKILL);
    EXPECT_NE(wait_exit(watcher->pid(), 50), -1);
    const auto after = run_tool({"apply", other, "--pid", pid});
    EXPECT_EQ(after.exit_code, 0) << after.out << after.err;
    EXPECT_EQ(target.options()[1][1], 5);
}

}  // namespace
}  // namespace kt::test
