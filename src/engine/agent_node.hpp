// The node's agent as a state machine: the policy in force, the pins it made, what it has
// matched, and its status for /metrics and /healthz. run_agent (agent.cpp) drives it from the
// process's signals, inotify and timers; the health thread and the HTTP server read it.
#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/agent/agent_status.hpp"
#include "core/agent/reconcile_plan.hpp"
#include "engine/agent.hpp"
#include "engine/agent_log.hpp"
#include "sys/agent_state.hpp"
#include "sys/bpf_sockets.hpp"
#include "sys/cgroup_tree.hpp"
#include "sys/metrics_server.hpp"

namespace kt::engine {

class Agent {
public:
    Agent(const AgentOptions& o, LoadedPolicy policy, sys::AgentPins owned);
    ~Agent() { stop_health(); }

    ReconcilePlan plan();

    // Only the directories just made (inotify), against what the last full plan assigned: a
    // new cgroup is attached without listing every cgroup and pin again. Whatever else changed
    // waits for the full reconcile that follows shortly.
    void attach_made(const std::vector<std::string>& made);

    // Plans and carries the plan out; false when a change failed.
    bool reconcile(const char* trigger);

    // A policy file changed (or SIGHUP): the new one, or the old one kept and the error counted.
    // `force` (SIGHUP): loaded even when the policy's text is the same, since its profiles may
    // have changed.
    void reload(const char* trigger, bool force = false);

    bool policy_ok();

    void start_health();
    void stop_health();

    // Whether the health thread is between scans within `limit` of being told to stop: a scan
    // of a busy node takes longer than a stop may wait.
    bool health_stops_within(std::chrono::milliseconds limit);

    sys::HttpRoutes routes();

    void set_watched(std::size_t n);
    void count_policy_load();
    // The connection-end counters, when the policy asks for them (health: connection_ends):
    // installed if they are not, and left installed when the agent stops, as its pins are.
    Result<void> keep_counters();
    AgentLog& log() { return m_log; }
    const LoadedPolicy& policy() const { return m_policy; }

private:
    void set_rules();
    // Loads the next attachment's programs ahead; a failure is BPF unavailable in the status.
    void preload();
    // The agent's pins per rule, into the status (under m_mutex).
    void count_attached();

    bool carry_out(const PlanStep& step);

    bool failed(const std::string& action, const std::string& cgroup, const std::string& why);

    // Double matches, pins made by hand and cgroups they block: said once each, not every minute.
    void report_once(const ReconcilePlan& p);

    void health_loop();

    AgentOptions m_o;
    LoadedPolicy m_policy;
    sys::AgentPins m_owned;
    AgentLog m_log;
    sys::CgroupTreeSources m_sources;
    std::string m_last_error;
    std::string m_rejected;
    std::map<std::string, int, std::less<>> m_assigned;  // the last full plan's, and the cgroups made since
    std::set<std::string> m_reported;

    std::mutex m_mutex;  // guards what the HTTP and health threads share below
    AgentStatus m_status;
    std::string m_health_text;
    std::uint64_t m_health_every_ms = 30000;
    std::string m_health_paths;
    bool m_stopping = false;
    bool m_scanning = false;                // the health thread is in a scan
    std::condition_variable m_wake;
    std::condition_variable m_health_idle;  // a scan ended
    std::unique_ptr<sys::SocketIterator> m_iterator;  // the health thread's own
    bool m_iterator_tried = false;
    std::thread m_health;
};

}  // namespace kt::engine
