#include "support/netns.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <stdexcept>

#include "support/run_binary.hpp"

namespace kt::test {

std::string shell(const std::string& command) {
    return run_program({"/bin/sh", "-c", command}).out;
}

std::string kernel_tests_unavailable() {
    if (geteuid() != 0) return "needs root to create network namespaces (run the suite as root, as CI does)";
    if (access("/usr/sbin/ip", X_OK) != 0 && access("/sbin/ip", X_OK) != 0 && access("/usr/bin/ip", X_OK) != 0)
        return "needs iproute2's ip";
    return {};
}

TestNetns::TestNetns() {
    static std::atomic<int> counter{0};
    m_name = "kt-test-" + std::to_string(getpid()) + "-" + std::to_string(counter++);
    auto r = run_program({"/bin/sh", "-c", "ip netns add " + m_name + " && ip -n " + m_name + " link set lo up"});
    m_ok = r.exit_code == 0;
}

TestNetns::~TestNetns() { run_program({"/bin/sh", "-c", "ip netns del " + m_name}); }

void TestNetns::run_inside(const std::function<void()>& body) const {
    const int home = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    const int there = open(("/run/netns/" + m_name).c_str(), O_RDONLY | O_CLOEXEC);
    if (home < 0 || there < 0 || setns(there, CLONE_NEWNET) != 0) throw std::runtime_error("cannot enter " + m_name);
    body();
    if (setns(home, CLONE_NEWNET) != 0) std::abort();  // the rest of the suite would run in the wrong netns
    close(home);
    close(there);
}

std::string TestNetns::exec(const std::string& command) const {
    return shell("ip netns exec " + m_name + " " + command);
}

ChildProcess::ChildProcess(const std::function<void(int ready_fd)>& body) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) return;
    m_pid = fork();
    if (m_pid == 0) {
        close(fds[0]);
        body(fds[1]);
        _exit(0);
    }
    close(fds[1]);
    m_ready_read = fds[0];
}

ChildProcess::~ChildProcess() {
    if (m_pid > 0) {
        kill(m_pid, SIGKILL);
        waitpid(m_pid, nullptr, 0);
    }
    if (m_ready_read >= 0) close(m_ready_read);
}

int ChildProcess::wait_ready() {
    pollfd p{m_ready_read, POLLIN, 0};
    if (poll(&p, 1, 5000) != 1) return -1;
    int value = -1;
    if (read(m_ready_read, &value, sizeof value) != sizeof value) return -1;
    return value;
}

}  // namespace kt::test
