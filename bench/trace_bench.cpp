// kt_bench --trace S: what `trace` costs the host and how many ends it keeps up with. In a
// namespace of its own, churn workers open and close loopback connections (connect, accept,
// the server closes first, then the client: two ends per connection, FIN both ways) for S
// seconds at a time, alternately with nothing tracing, with `trace` (abnormal ends only: the
// programs run on every end and keep the normal ones out of the ring buffer), with
// `trace --all --summary` (every end to user space) and with `trace --role` (each new
// connection's side noted in socket storage). Each row is a median over the rounds;
// trace's own CPU comes from wait4's rusage. Then a burst: established sockets whose holders
// are killed at once, to see how fast trace takes in ends when the kernel makes them as fast as
// it can. Every failed measurement prints FAILED, never a figure.
#include "trace_bench.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
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

// One worker: a listener of its own on 127.0.0.1, then connect/accept/close until `seconds`
// have passed; writes how many connections it made and closed to `out`.
void churn_worker(int seconds, int out) {
    const int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    long made = -1;
    if (l >= 0 && bind(l, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 && listen(l, 1024) == 0 &&
        getsockname(l, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
        made = 0;
        const auto end = Clock::now() + std::chrono::seconds(seconds);
        while (Clock::now() < end) {
            // 64 connections between two looks at the clock.
            for (int i = 0; i < 64; ++i) {
                const int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
                if (c < 0 || connect(c, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
                    made = -1;
                    break;
                }
                const int s = accept4(l, nullptr, nullptr, SOCK_CLOEXEC);
                if (s < 0) {
                    made = -1;
                    break;
                }
                close(s);
                close(c);
                ++made;
            }
            if (made < 0) break;
        }
    }
    [[maybe_unused]] auto w = write(out, &made, sizeof made);
    _exit(made < 0 ? 1 : 0);
}

struct Churn {
    double rate = std::nan("");         // connections per second, all workers
    double cpu_us = std::nan("");       // the workers' CPU (user and system) per connection
};

// `workers` churn processes for `seconds`; NaN figures on a failure.
Churn churn(int workers, int seconds) {
    std::vector<std::pair<pid_t, int>> running;
    for (int i = 0; i < workers; ++i) {
        int p[2];
        if (pipe2(p, O_CLOEXEC) != 0) break;
        const pid_t pid = fork();
        if (pid == 0) {
            close(p[0]);
            churn_worker(seconds, p[1]);
        }
        close(p[1]);
        if (pid < 0) {
            close(p[0]);
            break;
        }
        running.push_back({pid, p[0]});
    }
    const auto start = Clock::now();
    long total = 0;
    double cpu = 0;
    bool failed = static_cast<int>(running.size()) != workers;
    for (auto [pid, fd] : running) {
        long made = -1;
        if (read(fd, &made, sizeof made) != sizeof made || made < 0) failed = true;
        total += std::max(made, 0L);
        close(fd);
        int status = 0;
        rusage u{};
        wait4(pid, &status, 0, &u);
        // The kernel's loopback work runs mostly in the sender's context: its system time.
        cpu += static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
               static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
    }
    const double took = std::chrono::duration<double>(Clock::now() - start).count();
    Churn c;
    if (!failed && total > 0) {
        c.rate = static_cast<double>(total) / took;
        c.cpu_us = cpu * 1e6 / static_cast<double>(total);
    }
    return c;
}

// `keepalive-tune trace ARGS` in the background, its stdout and stderr in files.
struct Tracer {
    pid_t pid = -1;
    std::string out, err;
    bool attached = false;
    rusage usage{};
    int status = -1;

    Tracer(const std::string& tool, const std::vector<std::string>& args, const std::string& dir) {
        out = dir + "/trace.out";
        err = dir + "/trace.err";
        pid = fork();
        if (pid == 0) {
            const int o = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
            const int e = open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
            dup2(o, 1);
            dup2(e, 2);
            std::vector<std::string> argv{tool};
            argv.insert(argv.end(), args.begin(), args.end());
            std::vector<char*> c;
            for (auto& a : argv) c.push_back(a.data());
            c.push_back(nullptr);
            execv(c[0], c.data());
            _exit(127);
        }
        // Its progress line says the programs are attached; at most 10 s.
        for (int i = 0; i < 1000 && pid > 0; ++i) {
            if (text(err).find("tracing connection ends") != std::string::npos) {
                attached = true;
                break;
            }
            if (waitpid(pid, &status, WNOHANG) == pid) {
                pid = -1;
                break;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
    }
    // SIGINT, then its exit (it prints its summary first); its exit code.
    int stop() {
        if (pid <= 0) return -1;
        kill(pid, SIGINT);
        for (int i = 0; i < 3000; ++i) {  // at most 30 s
            if (wait4(pid, &status, WNOHANG, &usage) == pid) {
                pid = -1;
                return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        kill(pid, SIGKILL);
        wait4(pid, &status, 0, &usage);
        pid = -1;
        return -1;
    }
    ~Tracer() {
        if (pid > 0) {
            kill(pid, SIGKILL);
            waitpid(pid, nullptr, 0);
        }
    }
    static std::string text(const std::string& path) {
        std::ifstream in(path);
        std::stringstream s;
        s << in.rdbuf();
        return s.str();
    }
    double cpu_seconds() const {
        return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
               static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
    }
};

// A whole number after `"key":` in a JSON text, or -1.
long json_number(const std::string& text, const std::string& key) {
    const auto at = text.find("\"" + key + "\":");
    if (at == std::string::npos) return -1;
    return std::strtol(text.c_str() + at + key.size() + 3, nullptr, 10);
}

// Text for a table cell: one line, no trailing newline, no pipe.
std::string one_line(std::string text) {
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    for (char& c : text)
        if (c == '\n' || c == '|') c = ' ';
    return text.empty() ? "no error output" : text;
}

double median(std::vector<double> v) {
    if (v.empty()) return std::nan("");
    for (double x : v)
        if (std::isnan(x)) return std::nan("");
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

std::string figure(double v, int decimals) {
    if (std::isnan(v)) return "FAILED";
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
    return buf;
}

struct Round {
    double rate = std::nan("");  // connections per second
    double cpu_us = std::nan("");  // the churn's CPU per connection
    double events_per_s = std::nan("");
    double lost = std::nan("");
    double cpu_share = std::nan("");  // trace's CPU time over the churn's wall time
};

// One churn run under `trace ARGS` (none: nothing tracing).
Round measure(const std::string& tool, const std::vector<std::string>& args, int workers, int seconds, std::string& error) {
    Round r;
    if (args.empty()) {
        const auto c = churn(workers, seconds);
        r.rate = c.rate;
        r.cpu_us = c.cpu_us;
        if (std::isnan(r.rate)) error = "a churn worker failed";
        return r;
    }
    char dir_template[] = "/tmp/kt-bench-trace-XXXXXX";
    const std::string dir = mkdtemp(dir_template);
    {
        Tracer t(tool, args, dir);
        if (!t.attached) {
            error = "trace did not start: " + one_line(Tracer::text(t.err));
        } else {
            const auto start = Clock::now();
            const auto c = churn(workers, seconds);
            r.rate = c.rate;
            r.cpu_us = c.cpu_us;
            const int code = t.stop();
            const double wall = std::chrono::duration<double>(Clock::now() - start).count();
            const std::string summary = Tracer::text(t.out);
            const long events = json_number(summary, "events"), lost = json_number(summary, "lost");
            if (std::isnan(r.rate)) {
                error = "a churn worker failed";
            } else if (code != 0) {
                error = "trace exited " + std::to_string(code) + ": " + one_line(Tracer::text(t.err));
                r.rate = std::nan("");
            } else {
                r.cpu_share = t.cpu_seconds() / wall;
                if (events >= 0 && lost >= 0) {
                    r.events_per_s = static_cast<double>(events) / seconds;
                    r.lost = static_cast<double>(lost);
                }
            }
        }
    }
    std::system(("rm -rf " + dir).c_str());
    return r;
}

// A burst: `sockets` established sockets closed at once (their holders killed), under `trace
// --all --summary --count sockets`: the ends per second trace takes in while the kernel makes
// them as fast as it can. Prints one table row.
int burst(const std::string& tool, long sockets) {
    Population pop("kt-bench-" + std::to_string(getpid()) + "-burst");
    const long made = pop.add_established(sockets, 4);
    char dir_template[] = "/tmp/kt-bench-trace-XXXXXX";
    const std::string dir = mkdtemp(dir_template);
    int failed = 0;
    {
        Tracer t(tool, {"--json", "trace", "--all", "--summary", "--count", std::to_string(made), "--duration", "60s"}, dir);
        std::string error;
        double seconds = 0;
        if (!t.attached) {
            error = "trace did not start: " + one_line(Tracer::text(t.err));
        } else {
            const auto start = Clock::now();
            pop.stop_workers();
            // trace exits when it has shown them all (or at 60 s, when some were lost).
            // Its summary is its last act; looked for every 5 ms, at most 65 s.
            struct stat st {};
            for (int i = 0; i < 13000; ++i) {
                if (stat(t.out.c_str(), &st) == 0 && st.st_size > 0) break;
                std::this_thread::sleep_for(std::chrono::milliseconds(5));
            }
            seconds = std::chrono::duration<double>(Clock::now() - start).count();
            const int code = t.stop();
            if (code != 0) error = "trace exited " + std::to_string(code) + ": " + one_line(Tracer::text(t.err));
        }
        const std::string summary = Tracer::text(t.out);
        const long events = json_number(summary, "events"), lost = json_number(summary, "lost");
        if (error.empty() && (events < 0 || lost < 0)) error = "no summary from trace: " + one_line(summary);
        if (!error.empty()) {
            std::printf("| %ld sockets closed at once | FAILED (%s) | | | |\n", made, error.c_str());
            std::fprintf(stderr, "kt_bench: trace burst: %s\n", error.c_str());
            failed = 1;
        } else {
            std::printf("| %ld sockets closed at once | %ld | %ld | %s | %s |\n", made, events, lost,
                        figure(static_cast<double>(events) / seconds, 0).c_str(), figure(seconds, 2).c_str());
        }
    }
    std::system(("rm -rf " + dir).c_str());
    return failed;
}

}  // namespace

int bench_trace(const std::string& tool, int seconds, int runs) {
    int failures = 0;
    try {
        Population pop("kt-bench-" + std::to_string(getpid()) + "-trace");
        // The server's TIME_WAIT of seconds of churn: bounded, so the rounds stay alike.
        std::ofstream("/proc/sys/net/ipv4/tcp_max_tw_buckets") << 50000;
        struct Mode {
            const char* label;
            std::vector<std::string> args;
        };
        const std::vector<Mode> modes = {
            {"no trace", {}},
            {"trace (abnormal ends)", {"--json", "trace", "--summary"}},
            {"trace --all (every end)", {"--json", "trace", "--all", "--summary"}},
            {"trace --role (sides marked)", {"--json", "trace", "--summary", "--role", "accepted,upstream,listener"}},
        };
        const long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        std::printf("\n## trace: connection churn on loopback, %d s per run, %d rounds, modes alternating\n\n", seconds, runs);
        for (int workers : {1, static_cast<int>(std::max(1L, cpus))}) {
            if (workers == 1 && cpus == 1) continue;
            // Unmeasured: the first churn of a namespace fills its TIME_WAIT up to the bound and
            // is slower than the ones after it, whichever mode it runs under.
            churn(workers, seconds);
            std::vector<std::vector<Round>> rounds(modes.size());
            std::vector<std::string> errors(modes.size());
            for (int round = 0; round < runs; ++round)
                for (std::size_t m = 0; m < modes.size(); ++m) {
                    // A different mode first in each round, as the other benchmarks alternate.
                    const std::size_t i = (m + static_cast<std::size_t>(round)) % modes.size();
                    std::string error;
                    rounds[i].push_back(measure(tool, modes[i].args, workers, seconds, error));
                    if (!error.empty() && errors[i].empty()) errors[i] = error;
                }
            std::printf("%d churn worker%s:\n\n| mode | connections/s | vs no trace | churn CPU µs/connection | vs no "
                        "trace | ends/s to user space | ends lost | trace CPU (cores) |\n|---|---:|---:|---:|---:|---:|---:|---:|\n",
                        workers, workers == 1 ? "" : "s");
            double base = std::nan(""), base_cpu = std::nan("");
            for (std::size_t m = 0; m < modes.size(); ++m) {
                auto column = [&](double Round::*field) {
                    std::vector<double> v;
                    for (const auto& r : rounds[m]) v.push_back(r.*field);
                    return median(v);
                };
                const double rate = column(&Round::rate);
                if (!errors[m].empty() || std::isnan(rate)) {
                    std::printf("| %s | FAILED (%s) | | | | | | |\n", modes[m].label, errors[m].c_str());
                    std::fprintf(stderr, "kt_bench: trace bench, %s: %s\n", modes[m].label, errors[m].c_str());
                    ++failures;
                    continue;
                }
                const double cpu_us = column(&Round::cpu_us);
                if (m == 0) {
                    base = rate;
                    base_cpu = cpu_us;
                }
                double lost_all = 0;
                for (const auto& r : rounds[m]) lost_all += std::isnan(r.lost) ? 0 : r.lost;
                std::printf("| %s | %s | %s | %s | %s | %s | %s | %s |\n", modes[m].label, figure(rate, 0).c_str(),
                            m == 0 ? "1.00" : figure(rate / base, 3).c_str(), figure(cpu_us, 2).c_str(),
                            m == 0 ? "1.00" : figure(cpu_us / base_cpu, 3).c_str(),
                            m == 0 ? "-" : figure(column(&Round::events_per_s), 0).c_str(),
                            m == 0 ? "-" : figure(lost_all, 0).c_str(),
                            m == 0 ? "-" : figure(column(&Round::cpu_share), 2).c_str());
            }
            std::printf("\n");
        }
        std::printf("A burst: established sockets whose holders are killed at once, under `trace --all --summary "
                    "--count N` (it exits when it has taken in all N; the time is from the kill to its summary):\n\n"
                    "| burst | ends shown | ends lost | ends/s | seconds |\n|---|---:|---:|---:|---:|\n");
        failures += burst(tool, seconds >= 5 ? 200000 : 2000);
        std::printf("\nTargets: churn with trace running at least 0.95 of the rate without it; at least 100,000 ends/s "
                    "to user space without loss, with trace using at most one core.\n\n");
    } catch (const std::exception& e) {
        std::fprintf(stderr, "kt_bench: error: %s\n", e.what());
        return failures + 1;
    }
    return failures;
}

}  // namespace kt::bench
