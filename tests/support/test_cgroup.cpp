#include "support/test_cgroup.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <cerrno>
#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include "support/run_binary.hpp"

namespace kt::test {

nlohmann::json upstream_values(pid_t pid) {
    auto r = run_tool({"--json", "inspect", "--exact", "--engine", "pidfd", "--pid", std::to_string(pid), "--role", "upstream"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    const auto doc = nlohmann::json::parse(r.out, nullptr, false);
    if (!doc.is_object() || !doc.contains("sockets") || doc["sockets"].size() != 1) {
        ADD_FAILURE() << r.out;
        return {};
    }
    auto exact = doc["sockets"][0]["exact"];
    exact.erase("inherited");
    return exact;
}

TestCgroup::TestCgroup(const std::string& prefix) {
    static int n = 0;
    make(prefix + "kt-enforce-" + std::to_string(getpid()) + "-" + std::to_string(++n));
}

TestCgroup::TestCgroup(const TestCgroup& parent, const std::string& name) { make(parent.name() + "/" + name); }

void TestCgroup::make(const std::string& name) {
    m_name = name;
    m_path = sys::cgroup2_mount() + "/" + m_name;
    m_ok = mkdir(m_path.c_str(), 0755) == 0;
}

TestCgroup::~TestCgroup() {
    kill_clients();
    run_tool({"enforce", "--remove", "--cgroup", m_path});
    for (int i = 0; i < 50 && rmdir(m_path.c_str()) != 0 && errno == EBUSY; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
}

void TestCgroup::kill_clients() {
    for (pid_t p : m_pids) {
        kill(p, SIGKILL);
        waitpid(p, nullptr, 0);
    }
    m_pids.clear();
}

bool TestCgroup::remove_dir() {
    kill_clients();
    for (int i = 0; i < 50; ++i) {
        if (rmdir(m_path.c_str()) == 0) return true;
        if (errno != EBUSY) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
}

bool TestCgroup::make_again() { return mkdir(m_path.c_str(), 0755) == 0; }

std::pair<pid_t, std::uint16_t> TestCgroup::start_client(const std::string& program, std::uint16_t port,
                                                         const std::string& own_idle) {
    int out[2];
    if (pipe2(out, O_CLOEXEC) != 0) return {-1, 0};
    const std::string procs = m_path + "/cgroup.procs";
    const pid_t pid = fork();
    if (pid == 0) {
        const int fd = open(procs.c_str(), O_WRONLY);
        const std::string self = std::to_string(getpid());
        if (fd < 0 || write(fd, self.data(), self.size()) != static_cast<ssize_t>(self.size())) _exit(126);
        dup2(out[1], 1);
        const std::string port_text = std::to_string(port);
        if (own_idle.empty())
            execl(program.c_str(), program.c_str(), port_text.c_str(), static_cast<char*>(nullptr));
        else
            execl(program.c_str(), program.c_str(), port_text.c_str(), own_idle.c_str(), static_cast<char*>(nullptr));
        _exit(127);
    }
    close(out[1]);
    if (pid < 0) {
        close(out[0]);
        return {-1, 0};
    }
    m_pids.push_back(pid);
    std::string line;
    pollfd p{out[0], POLLIN, 0};
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (line.find('\n') == std::string::npos && std::chrono::steady_clock::now() < deadline) {
        if (poll(&p, 1, 200) <= 0) continue;
        char buf[64];
        const ssize_t n = read(out[0], buf, sizeof buf);
        if (n <= 0) break;
        line.append(buf, static_cast<std::size_t>(n));
    }
    close(out[0]);
    if (!line.starts_with("connected ")) return {-1, 0};
    return {pid, static_cast<std::uint16_t>(std::stoi(line.substr(10)))};
}

}  // namespace kt::test
