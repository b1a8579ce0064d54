#include "sys/socket_owners.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "support/temp_dir.hpp"

namespace kt::sys {
namespace {

// A fake /proc: PID/fd/N symlinks and PID/comm files, as the kernel lays them out.
void fake_process(const test::TempDir& root, int pid, const std::string& comm,
                  const std::vector<std::pair<int, std::string>>& fds) {
    const std::string dir = root.path() + "/" + std::to_string(pid);
    std::filesystem::create_directories(dir + "/fd");
    root.write(std::to_string(pid) + "/comm", comm + "\n");
    for (const auto& [fd, target] : fds)
        std::filesystem::create_symlink(target, dir + "/fd/" + std::to_string(fd));
}

TEST(SocketOwnersTest, IndexesEverySocketFdByInodeWithTheFirstOwnerWinning) {
    test::TempDir root;
    fake_process(root, 100, "nginx", {{3, "socket:[5001]"}, {4, "/dev/null"}, {7, "socket:[5002]"}});
    fake_process(root, 200, "worker", {{5, "socket:[5002]"}, {6, "pipe:[77]"}});
    root.write("sys/fs/file-nr", "4096\t0\t100000\n");
    auto scan = scan_socket_owners({root.path(), {}, {}});
    EXPECT_EQ(scan.processes, 2u);
    EXPECT_EQ(scan.index.size(), 2u);
    ASSERT_NE(scan.index.find(5001), nullptr);
    EXPECT_EQ(scan.index.find(5001)->pid, 100);
    EXPECT_EQ(scan.index.find(5001)->fd, 3);
    EXPECT_EQ(scan.index.find(5002)->pid, 100);  // shared after fork: the lower pid is reported
    EXPECT_EQ(scan.index.find(9999), nullptr);
    EXPECT_EQ(scan.index.comm(100), "nginx");
}

// A process whose fd directory cannot be read hides its sockets' owners: the warning names it.
TEST(SocketOwnersTest, UnreadableProcessesAreNamedWithTheirComm) {
    test::TempDir root;
    fake_process(root, 100, "nginx", {{3, "socket:[5001]"}});
    root.write("1/comm", "process_api\n");
    root.write("1/fd", "not a directory: opendir fails as a refused read does\n");
    root.write("sys/fs/file-nr", "4096\t0\t100000\n");
    auto scan = scan_socket_owners({root.path(), {}, {}});
    EXPECT_EQ(scan.unreadable, 1u);
    EXPECT_EQ(unreadable_owners_text(scan), "the file descriptors of 1 process(es) could not be read (pid 1 process_api)");
}

TEST(SocketOwnersTest, NamedPidsAreTheOnlyOnesScanned) {
    test::TempDir root;
    fake_process(root, 100, "a", {{3, "socket:[1]"}});
    fake_process(root, 200, "b", {{3, "socket:[2]"}});
    auto scan = scan_socket_owners({root.path(), {200}, {}});
    EXPECT_EQ(scan.index.find(1), nullptr);
    ASSERT_NE(scan.index.find(2), nullptr);
}

TEST(SocketOwnersTest, CommFilterKeepsOnlyMatchingProcesses) {
    test::TempDir root;
    fake_process(root, 100, "envoy", {{3, "socket:[1]"}});
    fake_process(root, 200, "nginx", {{3, "socket:[2]"}});
    auto scan = scan_socket_owners({root.path(), {}, {"nginx"}});
    EXPECT_EQ(scan.index.find(1), nullptr);
    EXPECT_NE(scan.index.find(2), nullptr);
}

TEST(SocketOwnersTest, MissingPidIsAProblemNamingIt) {
    test::TempDir root;
    auto scan = scan_socket_owners({root.path(), {4242}, {}});
    ASSERT_EQ(scan.problems.size(), 1u);
    EXPECT_EQ(scan.problems[0].line(), "--pid 4242: no such process");
}

TEST(SocketOwnersTest, TheIndexGrowsPastItsInitialSize) {
    SocketOwnerIndex index(4);
    for (std::uint32_t i = 1; i <= 10000; ++i) index.insert(i, {static_cast<std::int32_t>(i), 3});
    EXPECT_EQ(index.size(), 10000u);
    for (std::uint32_t i = 1; i <= 10000; ++i) ASSERT_EQ(index.find(i)->pid, static_cast<std::int32_t>(i));
}

TEST(SocketOwnersTest, OnlySocketLinksCarryAnInode) {
    EXPECT_EQ(socket_inode_of_link("socket:[12345]"), 12345u);
    EXPECT_EQ(socket_inode_of_link("socket:[]"), 0u);
    EXPECT_EQ(socket_inode_of_link("pipe:[12]"), 0u);
    EXPECT_EQ(socket_inode_of_link("socket:[12"), 0u);
    EXPECT_EQ(socket_inode_of_link("anon_inode:[eventfd]"), 0u);
}

}  // namespace
}  // namespace kt::sys

#include "sys/socket_access.hpp"

namespace kt::sys {
namespace {

TEST(SocketAccessTest, PermissionErrorsNameTheCapabilityAndYamasScope) {
    test::TempDir root;
    root.write("sys/kernel/yama/ptrace_scope", "1\n");
    const auto why = explain_getfd_error(EPERM, 42, root.path());
    if (::geteuid() == 0) {
        // Telling root to run as root sends it in circles: say what refuses root.
        EXPECT_NE(why.find("although this runs as root"), std::string::npos) << why;
        EXPECT_EQ(why.find("(run as root)"), std::string::npos) << why;
    } else {
        EXPECT_NE(why.find("CAP_SYS_PTRACE"), std::string::npos) << why;
        EXPECT_NE(why.find("dumpable"), std::string::npos) << why;
    }
    EXPECT_NE(why.find("Yama ptrace_scope=1"), std::string::npos) << why;
    EXPECT_EQ(explain_getfd_error(EPERM, 42, "/nonexistent").find("Yama ptrace_scope"), std::string::npos);
}

TEST(SocketAccessTest, MissingSyscallNamesTheKernelVersion) {
    EXPECT_NE(explain_getfd_error(ENOSYS, 1).find("Linux 5.6"), std::string::npos);
    EXPECT_EQ(explain_getfd_error(ESRCH, 1), "the process has exited");
}

}  // namespace
}  // namespace kt::sys
