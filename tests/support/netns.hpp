// Network namespaces and processes for kernel tests, removed when the test ends.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>

namespace kt::test {

// Why kernel tests cannot run here, or empty when they can (root, `ip`, netns support).
std::string kernel_tests_unavailable();

#define KT_REQUIRE_KERNEL_TESTS()                                        \
    do {                                                                 \
        const std::string why_not = ::kt::test::kernel_tests_unavailable(); \
        if (!why_not.empty()) GTEST_SKIP() << why_not;                   \
    } while (0)

// For test targets built with KT_BPF_BUILT: skips where kernel tests cannot run, or the build
// has no BPF engine.
#define KT_REQUIRE_BPF_ENGINE()                                                              \
    do {                                                                                     \
        KT_REQUIRE_KERNEL_TESTS();                                                           \
        if (!KT_BPF_BUILT) GTEST_SKIP() << "built without the BPF engine (KT_BPF=OFF)";      \
    } while (0)

// `ip netns add` a uniquely named namespace with lo up; `ip netns del` on destruction.
class TestNetns {
public:
    TestNetns();
    ~TestNetns();
    TestNetns(const TestNetns&) = delete;
    TestNetns& operator=(const TestNetns&) = delete;
    const std::string& name() const { return m_name; }
    bool ok() const { return m_ok; }
    // Runs `body` with this thread inside the namespace; sockets made there stay there.
    void run_inside(const std::function<void()>& body) const;
    // Runs a shell command inside the namespace (ip netns exec) and returns its stdout.
    std::string exec(const std::string& command) const;

private:
    std::string m_name;
    bool m_ok = false;
};

// A child process running `body` (which must not return), killed by PID and reaped on destruction.
class ChildProcess {
public:
    explicit ChildProcess(const std::function<void(int ready_fd)>& body);
    ~ChildProcess();
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;
    pid_t pid() const { return m_pid; }
    // Waits (at most 5 s) for the child to write one int on its ready fd.
    int wait_ready();

private:
    pid_t m_pid = -1;
    int m_ready_read = -1;
};

// Runs `command` with /bin/sh and returns stdout.
std::string shell(const std::string& command);

}  // namespace kt::test
