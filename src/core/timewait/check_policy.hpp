// `check`: thresholds (from flags or a JSON config), and the verdict they give on a set of
// timewait reports, counter deltas and an optional keepalive compliance result.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/health/health_report.hpp"
#include "core/text/error.hpp"
#include "core/timewait/timewait_report.hpp"
#include "core/trace/end_counts.hpp"

namespace kt {

// Nagios plugin states; the value is the exit code.
enum class CheckStatus { ok = 0, warning = 1, critical = 2, unknown = 3 };
std::string_view status_name(CheckStatus s);  // "OK", "WARNING", ...

struct Limits {
    std::optional<double> warn;
    std::optional<double> crit;
};

// A threshold alerts when the value is above it (Nagios: outside 0..N); an absent one is off.
struct CheckThresholds {
    Limits time_wait;                  // TIME_WAIT sockets in one netns
    Limits ports{50.0, 80.0};          // percent of the local port range toward one destination
    Limits buckets{50.0, 80.0};        // percent of net.ipv4.tcp_max_tw_buckets
    Limits dropped;                    // connections likely dropped by a middlebox, in one netns
    Limits peer_closed;                // connections the peer closed and the owner still holds
    Limits retransmitting;             // connections retransmitting to a peer that does not answer
};

// TIME_WAIT thresholds are socket counts up to this (u32, like the kernel's counters).
inline constexpr std::uint64_t k_max_timewait_threshold = 4294967295;

// The names shared by the flags (--timewait-warn) and the config file's keys ("timewait-warn").
inline constexpr std::string_view k_threshold_names[] = {
    "timewait-warn",    "timewait-crit",    "ports-warn",          "ports-crit",         "buckets-warn",
    "buckets-crit",     "dropped-warn",     "dropped-crit",        "peer-closed-warn",   "peer-closed-crit",
    "retransmitting-warn", "retransmitting-crit"};

// Counts (whole numbers of sockets or connections) as opposed to percentages.
inline bool threshold_is_count(std::string_view name) { return !name.starts_with("ports") && !name.starts_with("buckets"); }

// Sets the threshold `name` (one of k_threshold_names); nullopt turns it off.
void set_threshold(CheckThresholds& t, std::string_view name, std::optional<double> value);

// Every problem with the thresholds: negative values, percentages over 100, warn above crit.
Errors validate_thresholds(const CheckThresholds& t);

// Reads a config file ({"ports-warn": 60, "timewait-crit": null, ...}) over `base`: keys that
// are absent keep base's value, null turns a threshold off. Problems are reported like a
// profile's (file, JSON path, why), all of them at once.
std::expected<CheckThresholds, Errors> parse_check_config(std::string_view text, std::string_view source,
                                                          CheckThresholds base);

// How TcpExt counters moved since the previous run (from the state file).
struct IntervalDelta {
    double seconds = 0;
    std::map<std::string, std::uint64_t, std::less<>> counters;
};

// What `verify` found for --profile P and a target.
struct Compliance {
    std::string profile;
    std::size_t compliant = 0;
    std::size_t drift = 0;
    std::size_t gone = 0;
    std::string engine;  // "bpf" or "pidfd": which one read the sockets
};

// A cgroup `enforce` pinned a profile on, and whether that cgroup still exists (systemd
// makes a unit's cgroup again at each restart, without the programs).
struct EnforcedState {
    std::string cgroup;
    std::string profile;
    bool cgroup_exists = true;
};

struct CheckInput {
    std::vector<TimewaitReport> reports;
    const HealthReport* health = nullptr;  // connection verdicts per netns
    std::vector<std::optional<IntervalDelta>> deltas;  // one per report; nullopt: no baseline yet
    std::optional<Compliance> compliance;
    std::vector<EnforcedState> enforced;
    // The counting programs' totals (trace --install-counters); nullopt when none are installed.
    std::optional<EndCountsReport> connection_ends;
};

struct Finding {
    CheckStatus status = CheckStatus::ok;
    std::string text;  // "port pressure 85% toward 10.0.0.1 -> 10.0.0.9:5432 (crit 80%)"
};

// One Nagios performance datum: label=value[uom];warn;crit;min;max
struct PerfDatum {
    std::string label;
    double value = 0;
    std::string uom;
    Limits limits;
    std::optional<double> min;
    std::optional<double> max;
};

struct CheckResult {
    CheckStatus status = CheckStatus::ok;
    std::vector<Finding> findings;  // problems, worst first; empty when OK
    std::string summary;            // what was measured, for the OK line
    std::vector<PerfDatum> perfdata;
};

// The verdict. Port pressure, TIME_WAIT and bucket share are judged per netns against the
// thresholds; any growth of TCPTimeWaitOverflow is a WARNING (TIME_WAIT states were dropped
// early); keepalive drift is a WARNING, and so is an enforced profile whose cgroup is gone. With several namespaces the perfdata carries the
// highest value over them.
CheckResult evaluate_check(const CheckInput& in, const CheckThresholds& t);

}  // namespace kt
