#include "support/agent_process.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "support/run_binary.hpp"

namespace kt::test {

AgentProcess::AgentProcess(const std::vector<std::string>& args) {
    static int n = 0;
    m_log_path = "/tmp/kt-agent-log-" + std::to_string(getpid()) + "-" + std::to_string(++n);
    std::vector<std::string> argv{tool_path()};
    argv.insert(argv.end(), args.begin(), args.end());
    m_pid = fork();
    if (m_pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlives a test that crashed
        const int fd = open(m_log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd < 0) _exit(126);
        dup2(fd, 1);
        dup2(fd, 2);
        std::vector<char*> cargv;
        for (auto& a : argv) cargv.push_back(a.data());
        cargv.push_back(nullptr);
        execv(cargv[0], cargv.data());
        _exit(127);
    }
}

AgentProcess::~AgentProcess() {
    if (running()) {
        kill(m_pid, SIGKILL);
        waitpid(m_pid, nullptr, 0);
    }
    unlink(m_log_path.c_str());
}

bool AgentProcess::running() {
    if (m_pid <= 0 || m_status != -1) return false;
    int status = 0;
    if (waitpid(m_pid, &status, WNOHANG) == m_pid) {
        m_status = status;
        return false;
    }
    return true;
}

std::string AgentProcess::log() const {
    std::ifstream in(m_log_path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

bool AgentProcess::wait_for_log(const std::string& text, std::chrono::milliseconds limit, int nth) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    for (;;) {
        const std::string l = log();
        int seen = 0;
        for (auto at = l.find(text); at != std::string::npos; at = l.find(text, at + 1)) ++seen;
        if (seen >= nth) return true;
        if (std::chrono::steady_clock::now() >= deadline || !running()) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

int AgentProcess::stop(int signal, std::chrono::milliseconds limit, double* took) {
    const auto start = std::chrono::steady_clock::now();
    if (running()) kill(m_pid, signal);
    while (running() && std::chrono::steady_clock::now() - start < limit)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    if (took) *took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (running()) {
        kill(m_pid, SIGKILL);
        waitpid(m_pid, &m_status, 0);
        return -1;
    }
    if (WIFEXITED(m_status)) return WEXITSTATUS(m_status);
    return 128 + WTERMSIG(m_status);
}

HttpReply http_get(std::uint16_t port, const std::string& path) {
    HttpReply reply;
    const int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0) return reply;
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const timeval tv{5, 0};
    setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        close(s);
        return reply;
    }
    const std::string request = "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    if (write(s, request.data(), request.size()) != static_cast<ssize_t>(request.size())) {
        close(s);
        return reply;
    }
    std::string raw;
    char buf[8192];
    for (int i = 0; i < 100000; ++i) {
        const ssize_t n = read(s, buf, sizeof buf);
        if (n <= 0) break;
        raw.append(buf, static_cast<std::size_t>(n));
    }
    close(s);
    // "HTTP/1.1 200 OK\r\n...\r\n\r\nbody"
    if (raw.size() < 12 || !raw.starts_with("HTTP/1.")) return reply;
    reply.status = std::atoi(raw.c_str() + 9);
    const auto body = raw.find("\r\n\r\n");
    if (body != std::string::npos) reply.body = raw.substr(body + 4);
    return reply;
}

}  // namespace kt::test
