// `keepalive-tune agent` started by a test: its log captured in a file, stopped by its PID
// (SIGKILL at the end of the test if it is still running), and a small HTTP GET for its
// /metrics and /healthz on loopback.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace kt::test {

class AgentProcess {
public:
    // Starts the built keepalive-tune with `args` ("agent", "--policy", ...).
    explicit AgentProcess(const std::vector<std::string>& args);
    ~AgentProcess();
    AgentProcess(const AgentProcess&) = delete;
    AgentProcess& operator=(const AgentProcess&) = delete;

    pid_t pid() const { return m_pid; }
    bool running();
    // Everything it wrote to stdout and stderr so far.
    std::string log() const;
    // Waits until the log holds `text` the `nth` time (from 1), at most `limit`.
    bool wait_for_log(const std::string& text, std::chrono::milliseconds limit, int nth = 1);
    // Sends `signal` and waits at most `limit` for the exit: its exit code (128 + signal when
    // killed), or -1 when it had to be killed. `took` receives the seconds it took.
    int stop(int signal, std::chrono::milliseconds limit, double* took = nullptr);

private:
    pid_t m_pid = -1;
    std::string m_log_path;
    int m_status = -1;
};

struct HttpReply {
    int status = 0;  // 0: no answer
    std::string body;
};
// GET http://127.0.0.1:PORT/PATH, with a 5 s limit.
HttpReply http_get(std::uint16_t port, const std::string& path);

}  // namespace kt::test
