// What the agent knows of itself, as values: for /metrics, /healthz and its logs.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace kt {

// Upper bounds, in seconds, of the reconcile-duration histogram's buckets.
inline constexpr std::array<double, 9> k_reconcile_buckets{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5};

struct RuleStatus {
    std::string name;
    std::string profile;
    std::size_t cgroups_matched = 0;   // attached or covered by an attached ancestor
    std::size_t cgroups_attached = 0;  // the agent's pins for this rule
    std::uint64_t connections_applied = 0, connections_failed = 0;  // existing: true, since start
};

struct AgentStatus {
    std::vector<RuleStatus> rules;
    bool policy_ok = true;              // the last load of the policy succeeded
    std::string policy_error;           // the last rejection, file:line:column: why
    std::uint64_t policy_reloads = 0;   // loads that took effect, the first included
    std::uint64_t policy_errors = 0;    // loads refused
    bool bpf_ok = true;
    std::string bpf_error;
    bool reconcile_ok = true;           // the last reconcile made every change it planned
    std::string reconcile_error;
    std::uint64_t reconciles = 0, reconcile_errors = 0;
    std::array<std::uint64_t, k_reconcile_buckets.size()> reconcile_buckets{};  // cumulative counts
    double reconcile_seconds_sum = 0;
    std::int64_t last_reconcile_unix = 0;
    std::size_t matched_twice = 0;      // cgroups two or more rules match
    std::size_t foreign_pins = 0;       // pins made by hand, left alone
    std::size_t cgroups_watched = 0;
    std::uint64_t health_scans = 0, health_errors = 0;

    void observe_reconcile(double seconds, std::int64_t now_unix);
};

// /healthz: empty when healthy, else why not (policy rejected, BPF unavailable, reconcile failing).
std::string unhealthy_reason(const AgentStatus& s);

}  // namespace kt
