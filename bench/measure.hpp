// Timing whole commands: wall time from fork to exit and peak RSS (wait4), alternating the
// commands under comparison so that machine noise falls on all of them alike.
#pragma once

#include <string>
#include <vector>

namespace kt::bench {

struct Command {
    std::string label;
    std::vector<std::string> argv;  // argv[0] is a path; stdout goes to /dev/null
    int max_runs = 0;               // 0: as many as the others; slow commands get fewer
};

struct Stats {
    std::string label;
    double median_ms = 0, min_ms = 0, max_ms = 0;
    double peak_rss_mib = 0;  // the highest over the runs (a pipeline: its largest process)
    int runs = 0;
    int failures = 0;  // runs that exited non-zero
    std::string first_error;
    // A command with a failed run has no figure: its times and RSS are NaN, so that nothing
    // computed from them (ratios, targets) can come out as a number either.
    bool failed() const { return failures > 0; }
};

// One unmeasured warm-up of each command (except those limited to fewer runs), then `runs`
// rounds, each running every command once, starting one command further on each round.
// `rotate` false keeps the order in every round (for commands that depend on the one before).
std::vector<Stats> run_alternating(const std::vector<Command>& commands, int runs, bool rotate = true);

// A shell pipeline as one command.
Command shell(std::string label, std::string pipeline, int max_runs = 0);

}  // namespace kt::bench
