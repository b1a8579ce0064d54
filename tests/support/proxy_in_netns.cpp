#include "support/proxy_in_netns.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <map>
#include <thread>

namespace kt::test {

ProxyInNetns::ProxyInNetns(const TestNetns& ns, const std::vector<std::string>& argv, const std::string& log) {
    std::vector<std::string> all{"/usr/sbin/ip", "netns", "exec", ns.name()};
    all.insert(all.end(), argv.begin(), argv.end());
    m_pid = fork();
    if (m_pid == 0) {
        const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(fd, 1);
        dup2(fd, 2);
        std::vector<char*> args;
        for (auto& a : all) args.push_back(a.data());
        args.push_back(nullptr);
        execv(args[0], args.data());
        _exit(127);
    }
}

ProxyInNetns::~ProxyInNetns() {
    if (m_pid <= 0) return;
    const auto children = descendants(m_pid);
    kill(m_pid, SIGTERM);
    int status = 0;
    bool reaped = false;
    for (int i = 0; i < 50 && !reaped; ++i) {
        reaped = waitpid(m_pid, &status, WNOHANG) == m_pid;
        if (!reaped) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    if (!reaped) {
        kill(m_pid, SIGKILL);
        waitpid(m_pid, &status, 0);
    }
    for (auto c : children) kill(c, SIGKILL);
}

std::vector<pid_t> descendants(pid_t pid) {
    std::multimap<pid_t, pid_t> children;
    if (DIR* d = opendir("/proc")) {
        while (const dirent* e = readdir(d)) {
            const pid_t p = static_cast<pid_t>(std::atoi(e->d_name));
            if (p <= 0) continue;
            std::ifstream stat("/proc/" + std::string(e->d_name) + "/stat");
            std::string line;
            if (!std::getline(stat, line)) continue;
            const auto close = line.rfind(')');
            if (close == std::string::npos) continue;
            char state = 0;
            int ppid = 0;
            if (std::sscanf(line.c_str() + close + 1, " %c %d", &state, &ppid) == 2) children.emplace(ppid, p);
        }
        closedir(d);
    }
    std::vector<pid_t> out;
    std::vector<pid_t> todo{pid};
    for (std::size_t i = 0; i < todo.size() && todo.size() < 10000; ++i) {
        auto [from, to] = children.equal_range(todo[i]);
        for (auto it = from; it != to; ++it) {
            out.push_back(it->second);
            todo.push_back(it->second);
        }
    }
    return out;
}

bool wait_for_listeners(const TestNetns& ns, const std::vector<int>& ports) {
    for (int i = 0; i < 100; ++i) {
        const auto out = ns.exec("ss -Htln");
        bool all = true;
        for (int p : ports) all = all && out.find(":" + std::to_string(p) + " ") != std::string::npos;
        if (all) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
}

}  // namespace kt::test
