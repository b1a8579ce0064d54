// kt_bench --agent N: the agent on this machine. N cgroups its rule matches are made first
// (and attached at its start); then each of 200 new cgroups is timed from mkdir to the last
// pin of its attachment; then a policy change that touches all N is timed; then, with a
// population of established connections in a namespace of its own, the agent's CPU and RSS
// over three health intervals. Every failed measurement prints FAILED, never a figure.
#include "agent_bench.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "population.hpp"

namespace kt::bench {
namespace {

using Clock = std::chrono::steady_clock;

std::string cgroup2_root() {
    std::ifstream mounts("/proc/self/mounts");
    std::string dev, dir, type, rest;
    while (mounts >> dev >> dir >> type && std::getline(mounts, rest))
        if (type == "cgroup2") return dir;
    return "/sys/fs/cgroup";
}

std::uint64_t inode_of(const std::string& path) {
    struct stat st{};
    return stat(path.c_str(), &st) == 0 ? st.st_ino : 0;
}

std::string pin_of(std::uint64_t cgroup_id) { return "/sys/fs/bpf/keepalive-tune/cgroup-" + std::to_string(cgroup_id); }

bool exists(const std::string& path) { return access(path.c_str(), F_OK) == 0; }

// Waits for `done` to hold, polling every 100 us; the seconds it took, or -1 after `limit`.
template <class F>
double wait_until(F&& done, std::chrono::milliseconds limit) {
    const auto start = Clock::now();
    while (!done()) {
        if (Clock::now() - start > limit) return -1;
        std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
    return std::chrono::duration<double>(Clock::now() - start).count();
}

std::string http_body(std::uint16_t port, const std::string& path) {
    const int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    std::string raw;
    if (s >= 0 && connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
        const std::string req = "GET " + path + " HTTP/1.0\r\n\r\n";
        if (write(s, req.data(), req.size()) == static_cast<ssize_t>(req.size())) {
            char buf[16384];
            for (ssize_t n; (n = read(s, buf, sizeof buf)) > 0;) raw.append(buf, static_cast<std::size_t>(n));
        }
    }
    if (s >= 0) close(s);
    const auto body = raw.find("\r\n\r\n");
    return body == std::string::npos ? "" : raw.substr(body + 4);
}

// The value of the first sample of `series` (with its labels) in a Prometheus text body, or -1.
double sample(const std::string& body, const std::string& series) {
    const auto at = body.find("\n" + series + " ");
    if (at == std::string::npos) return -1;
    return std::atof(body.c_str() + at + series.size() + 2);
}

// /proc/PID/stat utime + stime in seconds, and VmRSS / VmHWM in MiB.
double cpu_seconds(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto close_paren = text.rfind(')');
    if (close_paren == std::string::npos) return -1;
    std::istringstream fields(text.substr(close_paren + 2));
    std::string f;
    double utime = 0, stime = 0;
    for (int i = 3; fields >> f; ++i) {
        if (i == 14) utime = std::atof(f.c_str());
        if (i == 15) {
            stime = std::atof(f.c_str());
            break;
        }
    }
    return (utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

double status_mib(pid_t pid, const std::string& key) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(in, line))
        if (line.starts_with(key + ":")) return std::atof(line.c_str() + key.size() + 1) / 1024.0;
    return -1;
}

std::string fixed(double v, int decimals) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
    return buf;
}

double percentile(std::vector<double> v, double p) {
    std::sort(v.begin(), v.end());
    const auto i = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
    return v[std::min(i, v.size() - 1)];
}

class Agent {
public:
    Agent(const std::string& tool, const std::string& policy, const std::string& state, std::uint16_t port,
          const std::string& log) {
        m_pid = fork();
        if (m_pid == 0) {
            // Stopped with the benchmark, however it ends.
            prctl(PR_SET_PDEATHSIG, SIGTERM);
            const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
            dup2(fd, 1);
            dup2(fd, 2);
            const std::string listen = "127.0.0.1:" + std::to_string(port);
            execl(tool.c_str(), tool.c_str(), "agent", "--policy", policy.c_str(), "--metrics-listen", listen.c_str(),
                  "--state-dir", state.c_str(), static_cast<char*>(nullptr));
            _exit(127);
        }
    }
    ~Agent() { stop(); }
    pid_t pid() const { return m_pid; }
    bool alive() const { return m_pid > 0 && kill(m_pid, 0) == 0 && waitpid(m_pid, nullptr, WNOHANG) == 0; }
    void stop() {
        if (m_pid <= 0) return;
        kill(m_pid, SIGTERM);
        for (int i = 0; i < 500 && waitpid(m_pid, nullptr, WNOHANG) == 0; ++i) usleep(10000);
        if (kill(m_pid, 0) == 0) {
            kill(m_pid, SIGKILL);
            waitpid(m_pid, nullptr, 0);
        }
        m_pid = -1;
    }

private:
    pid_t m_pid = -1;
};

std::uint16_t free_port() {
    const int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
    close(s);
    return ntohs(a.sin_port);
}

void write_policy(const std::string& path, const std::string& profile, const std::string& match, const std::string& every) {
    std::ofstream(path + ".tmp") << "schema: keepalive-tune.policy.v1\nrules:\n  - name: bench\n    profile: " << profile
                                 << "\n    match:\n      cgroup: \"" << match << "\"\n    existing: false\nhealth:\n  every: "
                                 << every << "\n";
    std::rename((path + ".tmp").c_str(), path.c_str());
}

// A FAILED row, and the end of the agent's log on stderr (the log goes with the run's files).
void failed(int& failures, const std::string& what, const std::string& why, const std::string& log) {
    std::printf("| %s | FAILED (%s) |\n", what.c_str(), why.c_str());
    ++failures;
    std::ifstream in(log);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::fprintf(stderr, "kt_bench: %s failed; the agent's log ends:\n%s\n", what.c_str(),
                 text.substr(text.size() > 4000 ? text.size() - 4000 : 0).c_str());
}
}  // namespace

int bench_agent(const std::string& tool, long cgroups, long connections, int health_seconds) {
    int failures = 0;
    const std::string root = cgroup2_root();
    const std::string parent_name = "kt-bench-agent-" + std::to_string(getpid());
    const std::string parent = root + "/" + parent_name;
    char dir_template[] = "/tmp/kt-bench-agent-XXXXXX";
    const std::string dir = mkdtemp(dir_template);
    const std::string policy = dir + "/policy.yaml", state = dir + "/state", log = dir + "/agent.log";
    if (mkdir(parent.c_str(), 0755) != 0) {
        std::fprintf(stderr, "kt_bench: %s: cannot make it (needs a writable cgroup2)\n", parent.c_str());
        return 1;
    }
    std::vector<std::string> made;
    for (long i = 0; i < cgroups; ++i) {
        made.push_back(parent + "/present-" + std::to_string(i));
        mkdir(made.back().c_str(), 0755);
    }
    write_policy(policy, "aws-nlb", parent_name + "/*", "30s");
    const std::uint16_t port = free_port();

    std::printf("\n## The agent: %ld cgroups matched by its rule\n\n| measurement | result |\n|---|---|\n", cgroups);
    const auto start = Clock::now();
    {
        Agent agent(tool, policy, state, port, log);
        const std::string attached = "keepalive_tune_agent_programs_attached{rule=\"bench\",profile=\"aws-nlb\"}";
        const double startup = wait_until(
            [&] { return sample(http_body(port, "/metrics"), attached) == static_cast<double>(cgroups) || !agent.alive(); },
            std::chrono::milliseconds(30000 + 500 * cgroups));
        if (startup < 0 || !agent.alive()) {
            failed(failures, "start: every present cgroup attached", "not within the limit", log);
        } else {
            (void)startup;
            std::printf("| start: %ld cgroups attached (a program load each) | %s s (%s ms per cgroup) |\n", cgroups,
                        fixed(std::chrono::duration<double>(Clock::now() - start).count(), 2).c_str(),
                        fixed(1000 * std::chrono::duration<double>(Clock::now() - start).count() / static_cast<double>(cgroups), 1)
                            .c_str());

            // mkdir -> the attachment's last pin, one new cgroup at a time.
            std::vector<double> latencies;
            int lost = 0;
            for (int i = 0; i < 200; ++i) {
                const std::string cg = parent + "/new-" + std::to_string(i);
                const auto t0 = Clock::now();
                if (mkdir(cg.c_str(), 0755) != 0) break;
                const std::string pin = pin_of(inode_of(cg)) + "/stats";
                const double s = wait_until([&] { return exists(pin); }, std::chrono::milliseconds(2000));
                if (s < 0)
                    ++lost;
                else
                    latencies.push_back(std::chrono::duration<double>(Clock::now() - t0).count() * 1000);
                const std::string pin_dir = pin_of(inode_of(cg));
                rmdir(cg.c_str());
                wait_until([&] { return !exists(pin_dir); }, std::chrono::milliseconds(2000));
            }
            if (lost || latencies.empty()) {
                failed(failures, "mkdir -> attached", std::to_string(lost) + " of 200 not attached within 2 s", log);
            } else {
                const double p99 = percentile(latencies, 0.99);
                std::printf("| mkdir -> attached, %zu new cgroups | p50 %s ms, p99 %s ms, max %s ms (goal p99 <= 100 ms: %s) |\n",
                            latencies.size(), fixed(percentile(latencies, 0.5), 2).c_str(), fixed(p99, 2).c_str(),
                            fixed(*std::max_element(latencies.begin(), latencies.end()), 2).c_str(), p99 <= 100 ? "met" : "MISSED");
            }

            // A policy change touching every present cgroup: each pin's profile map updated in place.
            const std::string marker = "reconciled: trigger policy changed, changes " + std::to_string(cgroups);
            const auto t0 = Clock::now();
            write_policy(policy, "gcp-cloud-nat", parent_name + "/*", "30s");
            const double change = wait_until(
                [&] {
                    std::ifstream in(log);
                    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
                    return text.find(marker) != std::string::npos;
                },
                std::chrono::milliseconds(60000));
            (void)t0;
            if (change < 0)
                failed(failures, "policy change", "no reconcile of " + std::to_string(cgroups) + " changes within 60 s", log);
            else
                std::printf("| policy change updating %ld pinned profiles | %s ms, from the file's rename to the end of the "
                            "reconcile |\n",
                            cgroups, fixed(change * 1000, 1).c_str());
        }
        agent.stop();
    }
    // The pins the agent made: removed by its own --detach.
    {
        const pid_t p = fork();
        if (p == 0) {
            const int null = open("/dev/null", O_WRONLY);
            dup2(null, 1);
            execl(tool.c_str(), tool.c_str(), "agent", "--detach", "--state-dir", state.c_str(), static_cast<char*>(nullptr));
            _exit(127);
        }
        waitpid(p, nullptr, 0);
    }
    for (const auto& m : made) rmdir(m.c_str());
    rmdir(parent.c_str());

    // CPU and RSS: one rule, a population of connections, health every `health_seconds`.
    if (connections > 0) {
        Population population("kt-bench-agent");
        const long made_sockets = population.add_established(connections, 4);
        write_policy(policy, "aws-nlb", parent_name + "/*", std::to_string(health_seconds) + "s");
        const std::uint16_t p2 = free_port();
        Agent agent(tool, policy, state + "-2", p2, log + "-2");
        // Three health intervals after the first scan.
        std::this_thread::sleep_for(std::chrono::seconds(2));
        const double cpu0 = cpu_seconds(agent.pid());
        const auto t0 = Clock::now();
        std::this_thread::sleep_for(std::chrono::seconds(3 * health_seconds));
        const double cpu1 = cpu_seconds(agent.pid());
        const double wall = std::chrono::duration<double>(Clock::now() - t0).count();
        const double hwm = status_mib(agent.pid(), "VmHWM"), rss = status_mib(agent.pid(), "VmRSS");
        const std::string body = http_body(p2, "/metrics");
        const double scans_failed = sample(body, "keepalive_tune_agent_health_scan_errors_total");
        if (!agent.alive() || cpu0 < 0 || cpu1 < 0 || body.find("keepalive_tune_check_status") == std::string::npos ||
            scans_failed != 0) {
            failed(failures, "CPU and RSS with " + std::to_string(made_sockets) + " sockets", "the agent or its health scans failed", log + "-2");
        } else {
            const double pct = 100 * (cpu1 - cpu0) / wall;
            std::printf("| CPU, %ld sockets, health every %d s, over %s s | %s %% of a core (goal <= 1 %%: %s) |\n", made_sockets,
                        health_seconds, fixed(wall, 0).c_str(), fixed(pct, 2).c_str(), pct <= 1 ? "met" : "MISSED");
            std::printf("| RSS, same | %s MiB now, %s MiB peak (goal <= 30 MiB: %s) |\n", fixed(rss, 1).c_str(),
                        fixed(hwm, 1).c_str(), hwm <= 30 ? "met" : "MISSED");
        }
        agent.stop();
    }
    std::printf("\n");
    std::system(("rm -rf " + dir).c_str());
    return failures;
}

}  // namespace kt::bench
