#include "measure.hpp"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <limits>

namespace kt::bench {

namespace {
struct Sample {
    double ms = 0;
    double rss_mib = 0;
    int status = 0;
    std::string error;
};

Sample run_once(const Command& c) {
    int err_pipe[2];
    if (pipe2(err_pipe, O_CLOEXEC) != 0) return {0, 0, -1, "pipe failed"};
    const auto start = std::chrono::steady_clock::now();
    const pid_t pid = fork();
    if (pid == 0) {
        const int null = open("/dev/null", O_WRONLY);
        dup2(null, 1);
        dup2(err_pipe[1], 2);
        std::vector<char*> argv;
        for (const auto& a : c.argv) argv.push_back(const_cast<char*>(a.c_str()));
        argv.push_back(nullptr);
        execv(argv[0], argv.data());
        _exit(127);
    }
    close(err_pipe[1]);
    // Read stderr while the command runs, so a chatty command cannot block on a full pipe.
    std::string err;
    char buf[4096];
    for (ssize_t n; (n = read(err_pipe[0], buf, sizeof buf)) > 0;)
        if (err.size() < 4096) err.append(buf, static_cast<std::size_t>(n));
    close(err_pipe[0]);
    int status = 0;
    rusage usage{};
    wait4(pid, &status, 0, &usage);
    const auto end = std::chrono::steady_clock::now();
    Sample s;
    s.ms = std::chrono::duration<double, std::milli>(end - start).count();
    s.rss_mib = static_cast<double>(usage.ru_maxrss) / 1024.0;  // KiB; includes waited-for descendants
    s.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    s.error = err.substr(0, err.find('\n'));
    return s;
}
}  // namespace

Command shell(std::string label, std::string pipeline, int max_runs) {
    return {std::move(label), {"/bin/sh", "-c", std::move(pipeline)}, max_runs};
}

std::vector<Stats> run_alternating(const std::vector<Command>& commands, int runs, bool rotate) {
    std::vector<std::vector<Sample>> samples(commands.size());
    for (const auto& c : commands)
        if (c.max_runs == 0) run_once(c);
    // Each round starts one command further on, so none always follows the same neighbour
    // (a command right after a heavy one pays for the memory the kernel is still freeing).
    const std::size_t n = commands.size();
    for (int r = 0; r < runs; ++r)
        for (std::size_t k = 0; k < n; ++k) {
            const std::size_t i = rotate ? (k + static_cast<std::size_t>(r)) % n : k;
            if (commands[i].max_runs == 0 || r < commands[i].max_runs) samples[i].push_back(run_once(commands[i]));
        }

    std::vector<Stats> out;
    for (std::size_t i = 0; i < commands.size(); ++i) {
        Stats st;
        st.label = commands[i].label;
        std::vector<double> ms;
        for (const auto& s : samples[i]) {
            ms.push_back(s.ms);
            st.peak_rss_mib = std::max(st.peak_rss_mib, s.rss_mib);
            if (s.status != 0) {
                ++st.failures;
                if (st.first_error.empty()) st.first_error = "exit " + std::to_string(s.status) + ": " + s.error;
            }
        }
        std::sort(ms.begin(), ms.end());
        st.runs = static_cast<int>(ms.size());
        if (st.failed() || ms.empty()) {
            const double none = std::numeric_limits<double>::quiet_NaN();
            st.min_ms = st.max_ms = st.median_ms = st.peak_rss_mib = none;
        } else {
            st.min_ms = ms.front();
            st.max_ms = ms.back();
            st.median_ms = ms.size() % 2 ? ms[ms.size() / 2] : (ms[ms.size() / 2 - 1] + ms[ms.size() / 2]) / 2;
        }
        out.push_back(std::move(st));
    }
    return out;
}

}  // namespace kt::bench
