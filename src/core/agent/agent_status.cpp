#include "core/agent/agent_status.hpp"

namespace kt {

void AgentStatus::observe_reconcile(double seconds, std::int64_t now_unix) {
    ++reconciles;
    reconcile_seconds_sum += seconds;
    for (std::size_t i = 0; i < k_reconcile_buckets.size(); ++i)
        if (seconds <= k_reconcile_buckets[i]) ++reconcile_buckets[i];
    last_reconcile_unix = now_unix;
}

std::string unhealthy_reason(const AgentStatus& s) {
    std::string why;
    auto add = [&](const std::string& part) { why += (why.empty() ? "" : "; ") + part; };
    if (!s.policy_ok) add("policy rejected (the last good one is in force): " + s.policy_error);
    if (!s.bpf_ok) add("BPF unavailable: " + s.bpf_error);
    if (!s.reconcile_ok) add("reconcile failing: " + s.reconcile_error);
    return why;
}

}  // namespace kt
