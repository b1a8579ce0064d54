// `keepalive-tune agent`: the policy's rules kept true on this node. Reconciles the cgroups
// against the pins at start, whenever a cgroup is made or removed, when the policy changes
// (or SIGHUP), and every minute; serves /metrics and /healthz; logs one line per change.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/agent/reconcile_plan.hpp"
#include "core/config/agent_policy.hpp"
#include "core/profile/profile.hpp"
#include "core/text/error.hpp"
#include "sys/agent_state.hpp"

namespace kt::engine {

struct AgentOptions {
    std::string policy_file;
    bool policy_given = false;
    std::string metrics_listen;  // the flag; empty: the policy's, else 127.0.0.1:9977
    bool metrics_listen_given = false;
    bool once = false;
    bool dry_run = false;
    bool detach = false;
    bool json_log = false;
    bool json = false;  // --once/--detach results as JSON
    std::vector<std::string> profile_dirs;
    std::string pod_logs = "/var/log/pods";
    std::string state_dir = sys::k_agent_state_dir;
    std::string lock_file = sys::k_agent_lock;
    unsigned rescan_seconds = 60;
};

inline constexpr const char* k_default_metrics_listen = "127.0.0.1:9977";

// A policy with its profiles loaded, or the first error at its file:line:column.
struct LoadedPolicy {
    AgentPolicy policy;
    std::vector<Profile> profiles;  // parallel to policy.rules
    std::string text;
};
std::expected<LoadedPolicy, Errors> load_policy(const std::string& file, const std::vector<std::string>& profile_dirs);

// Runs until SIGTERM or SIGINT (exit 0, pins kept), or once. Errors before anything was
// attached (a bad policy, another agent, no BPF) are the result; later ones are logged.
std::expected<int, Errors> run_agent(const AgentOptions& options);

}  // namespace kt::engine
