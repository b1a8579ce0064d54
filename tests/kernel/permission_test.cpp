// inspect run as an unprivileged user says what it could not see and why, and still works.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "support/netns.hpp"
#include "support/run_binary.hpp"
#include "support/sockets.hpp"
#include "support/target_process.hpp"

namespace kt::test {
namespace {

// A copy of the binary that user nobody can execute (the build tree may be in a private dir).
class NobodyCanRun {
public:
    NobodyCanRun() {
        char dir[] = "/tmp/kt-perm-XXXXXX";
        if (!mkdtemp(dir)) return;
        m_dir = dir;
        chmod(dir, 0755);
        m_binary = m_dir + "/keepalive-tune";
        std::error_code ec;
        std::filesystem::copy_file(tool_path(), m_binary, ec);
        chmod(m_binary.c_str(), 0755);
    }
    ~NobodyCanRun() {
        std::error_code ec;
        if (!m_dir.empty()) std::filesystem::remove_all(m_dir, ec);
    }
    // Copies `file` next to the binary, readable by nobody; returns the new path.
    std::string share(const std::string& file) const {
        const std::string to = m_dir + "/" + std::filesystem::path(file).filename().string();
        std::error_code ec;
        std::filesystem::copy_file(file, to, std::filesystem::copy_options::overwrite_existing, ec);
        chmod(to.c_str(), 0644);
        return to;
    }
    RunResult run(const std::vector<std::string>& args) const {
        std::vector<std::string> argv{"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", m_binary};
        argv.insert(argv.end(), args.begin(), args.end());
        return run_program(argv);
    }

private:
    std::string m_dir, m_binary;
};

TEST(PermissionTest, UnprivilegedInspectWarnsOnceThatOtherProcessesAreUnreadable) {
    KT_REQUIRE_KERNEL_TESTS();
    if (access("/usr/bin/setpriv", X_OK) != 0) GTEST_SKIP() << "needs util-linux's setpriv";
    NobodyCanRun nobody;
    const int l = listen_on("127.0.0.1");
    auto r = nobody.run({"inspect", "-p", "--state", "listening", "--sport", std::to_string(local_port(l))});
    close(l);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("listening"), std::string::npos) << r.out;  // the socket is listed, without an owner
    EXPECT_NE(r.err.find("keepalive-tune: warning: -p: the file descriptors of"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("CAP_SYS_PTRACE"), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

TEST(PermissionTest, UnprivilegedExactOnARootProcessExplainsWhatIsNeeded) {
    KT_REQUIRE_KERNEL_TESTS();
    if (access("/usr/bin/setpriv", X_OK) != 0) GTEST_SKIP() << "needs util-linux's setpriv";
    NobodyCanRun nobody;
    auto r = nobody.run({"inspect", "--exact", "--engine", "pidfd", "--pid", std::to_string(getpid())});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_EQ(r.out, "");
    // /proc/PID/fd is closed to nobody, so the fds are tried with pidfd_getfd, which says why.
    EXPECT_TRUE(r.err.starts_with("keepalive-tune: error: --pid " + std::to_string(getpid()) +
                                  ": cannot reach its sockets: Operation not permitted; reaching another process's "
                                  "sockets needs CAP_SYS_PTRACE (run as root), or the same uid as a process that is "
                                  "still dumpable"))
        << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

TEST(PermissionTest, UnprivilegedApplyNamesCapSysPtraceAndChangesNothing) {
    KT_REQUIRE_KERNEL_TESTS();
    if (access("/usr/bin/setpriv", X_OK) != 0) GTEST_SKIP() << "needs util-linux's setpriv";
    NobodyCanRun nobody;
    TargetProcess target;
    ASSERT_TRUE(target.ok());
    const auto before = target.options();
    // The source tree may be private to root: the profile goes next to the binary.
    const auto profile = nobody.share(source_dir() + "/profiles/fast-failover.json");
    auto r = nobody.run({"apply", profile, "--pid", std::to_string(target.pid())});
    EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
    EXPECT_NE(r.err.find("needs CAP_SYS_PTRACE (run as root)"), std::string::npos) << r.err;
    EXPECT_EQ(target.options(), before);
}

TEST(PermissionTest, UnprivilegedNetnsSelectionNamesTheCapability) {
    KT_REQUIRE_KERNEL_TESTS();
    if (access("/usr/bin/setpriv", X_OK) != 0) GTEST_SKIP() << "needs util-linux's setpriv";
    TestNetns ns;
    ASSERT_TRUE(ns.ok());
    NobodyCanRun nobody;
    auto r = nobody.run({"inspect", "--netns", ns.name()});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("cannot enter: Operation not permitted; entering a network namespace needs CAP_SYS_ADMIN"),
              std::string::npos)
        << r.err;
}

TEST(PermissionTest, UnprivilegedBpfEngineFallsBackWithOneWarningOrIsTheError) {
    KT_REQUIRE_KERNEL_TESTS();
    if (!KT_BPF_BUILT) GTEST_SKIP() << "built without the BPF engine (KT_BPF=OFF)";
    if (access("/usr/bin/setpriv", X_OK) != 0) GTEST_SKIP() << "needs util-linux's setpriv";
    NobodyCanRun nobody;
    auto r = nobody.run({"inspect", "--exact", "--engine", "bpf"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err,
              "keepalive-tune: error: --engine bpf: BPF engine: cannot load the socket iterator: bpf() needs CAP_BPF "
              "and CAP_PERFMON (run as root); use --engine pidfd (or auto, which falls back to it)\n");
    r = nobody.run({"--json", "inspect", "--exact", "--state", "listening"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(r.err.starts_with("keepalive-tune: warning: BPF engine: cannot load the socket iterator: bpf() needs "
                                  "CAP_BPF and CAP_PERFMON (run as root); using the pidfd engine\n"))
        << r.err;
    EXPECT_EQ(nlohmann::json::parse(r.out)["engine"], "pidfd");
}

// Root with an empty capability set: what containers and CapabilityBoundingSet= give.
RunResult run_as_root_without_capabilities(const std::vector<std::string>& args) {
    std::vector<std::string> argv{"/usr/bin/setpriv", "--inh-caps=-all", "--ambient-caps=-all", "--bounding-set=-all",
                                  tool_path()};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_program(argv);
}

// Before: "reading another user's namespaces needs root", said to root.
TEST(PermissionTest, RootRefusedByTheKernelIsNotToldToRunAsRoot) {
    KT_REQUIRE_KERNEL_TESTS();
    if (access("/usr/bin/setpriv", X_OK) != 0) GTEST_SKIP() << "needs util-linux's setpriv";
    TargetProcess target;
    ASSERT_TRUE(target.ok());
    const auto before = target.options();
    const auto profile = source_dir() + "/profiles/fast-failover.json";
    TestNetns ns;
    ASSERT_TRUE(ns.ok());
    for (const auto& args : std::vector<std::vector<std::string>>{
             {"verify", profile, "--pid", std::to_string(target.pid()), "--engine", "pidfd"},
             {"apply", profile, "--pid", std::to_string(target.pid()), "--engine", "pidfd"},
             {"inspect", "--exact", "--engine", "pidfd", "--pid", std::to_string(target.pid())},
             {"inspect", "--netns", ns.name()}}) {
        auto r = run_as_root_without_capabilities(args);
        EXPECT_EQ(r.exit_code, 2) << args[0] << r.out << r.err;
        EXPECT_NE(r.err.find(" runs as root"), std::string::npos) << args[0] << ": " << r.err;
        EXPECT_EQ(r.err.find("run as root"), std::string::npos) << r.err;
        EXPECT_EQ(r.err.find("needs root"), std::string::npos) << r.err;
        EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    }
    EXPECT_EQ(target.options(), before);
    if (!KT_BPF_BUILT) return;
    auto r = run_as_root_without_capabilities({"apply", profile, "--pid", std::to_string(target.pid()), "--engine", "bpf"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("cannot load the socket iterator: the kernel refused bpf() to root: it needs CAP_BPF and "
                         "CAP_PERFMON"),
              std::string::npos)
        << r.err;
    EXPECT_EQ(target.options(), before);
}

}  // namespace
}  // namespace kt::test
