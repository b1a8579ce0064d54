#include "render/agent_metrics.hpp"

#include <cstdio>

#include "render/timewait_view.hpp"

namespace kt::render {

namespace {
std::string number(double v) {
    char buf[64];
    // Whole numbers (counts, timestamps) in full; the rest with enough digits for seconds.
    if (v == static_cast<double>(static_cast<long long>(v)) && v < 1e15 && v > -1e15)
        std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(v));
    else
        std::snprintf(buf, sizeof buf, "%.9g", v);
    return buf;
}

void family(std::string& out, const char* name, const char* type, const char* help) {
    out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
}

void sample(std::string& out, const char* name, const std::string& labels, double v) {
    out += name;
    if (!labels.empty()) out += "{" + labels + "}";
    out += " " + number(v) + "\n";
}

std::string rule_label(const RuleStatus& r) {
    return "rule=\"" + prometheus_label(r.name) + "\",profile=\"" + prometheus_label(r.profile) + "\"";
}
}  // namespace

std::string agent_prometheus(const AgentStatus& s) {
    std::string out;
    family(out, "keepalive_tune_agent_rules", "gauge", "Rules in the policy in force.");
    sample(out, "keepalive_tune_agent_rules", "", static_cast<double>(s.rules.size()));
    family(out, "keepalive_tune_agent_cgroups_matched", "gauge",
           "Cgroups a rule matches (attached, or covered by an attached ancestor), by rule.");
    for (const auto& r : s.rules) sample(out, "keepalive_tune_agent_cgroups_matched", rule_label(r), static_cast<double>(r.cgroups_matched));
    family(out, "keepalive_tune_agent_programs_attached", "gauge", "Cgroups with the agent's programs attached and pinned, by rule.");
    for (const auto& r : s.rules)
        sample(out, "keepalive_tune_agent_programs_attached", rule_label(r), static_cast<double>(r.cgroups_attached));
    family(out, "keepalive_tune_agent_connections_applied_total", "counter",
           "Open connections given the profile when their cgroup started matching (existing: true), by rule.");
    for (const auto& r : s.rules)
        sample(out, "keepalive_tune_agent_connections_applied_total", rule_label(r), static_cast<double>(r.connections_applied));
    family(out, "keepalive_tune_agent_connections_apply_failed_total", "counter",
           "Open connections the profile could not be applied to, by rule.");
    for (const auto& r : s.rules)
        sample(out, "keepalive_tune_agent_connections_apply_failed_total", rule_label(r), static_cast<double>(r.connections_failed));
    family(out, "keepalive_tune_agent_cgroups_matched_twice", "gauge", "Cgroups that two or more rules match (the first rule wins).");
    sample(out, "keepalive_tune_agent_cgroups_matched_twice", "", static_cast<double>(s.matched_twice));
    family(out, "keepalive_tune_agent_foreign_pins", "gauge", "Cgroups enforced by hand (not by the agent), left alone.");
    sample(out, "keepalive_tune_agent_foreign_pins", "", static_cast<double>(s.foreign_pins));
    family(out, "keepalive_tune_agent_cgroups_watched", "gauge", "Cgroup directories watched for new cgroups.");
    sample(out, "keepalive_tune_agent_cgroups_watched", "", static_cast<double>(s.cgroups_watched));
    family(out, "keepalive_tune_agent_policy_ok", "gauge", "1 when the last load of the policy succeeded, 0 when it was rejected.");
    sample(out, "keepalive_tune_agent_policy_ok", "", s.policy_ok ? 1 : 0);
    family(out, "keepalive_tune_agent_policy_reloads_total", "counter", "Policy loads that took effect, the first included.");
    sample(out, "keepalive_tune_agent_policy_reloads_total", "", static_cast<double>(s.policy_reloads));
    family(out, "keepalive_tune_agent_policy_errors_total", "counter", "Policy loads rejected (the last good policy stays).");
    sample(out, "keepalive_tune_agent_policy_errors_total", "", static_cast<double>(s.policy_errors));
    family(out, "keepalive_tune_agent_reconcile_errors_total", "counter", "Reconciles in which a planned change failed.");
    sample(out, "keepalive_tune_agent_reconcile_errors_total", "", static_cast<double>(s.reconcile_errors));
    family(out, "keepalive_tune_agent_reconcile_duration_seconds", "histogram", "Time from a trigger to the end of its reconcile.");
    for (std::size_t i = 0; i < k_reconcile_buckets.size(); ++i)
        sample(out, "keepalive_tune_agent_reconcile_duration_seconds_bucket", "le=\"" + number(k_reconcile_buckets[i]) + "\"",
               static_cast<double>(s.reconcile_buckets[i]));
    sample(out, "keepalive_tune_agent_reconcile_duration_seconds_bucket", "le=\"+Inf\"", static_cast<double>(s.reconciles));
    sample(out, "keepalive_tune_agent_reconcile_duration_seconds_sum", "", s.reconcile_seconds_sum);
    sample(out, "keepalive_tune_agent_reconcile_duration_seconds_count", "", static_cast<double>(s.reconciles));
    family(out, "keepalive_tune_agent_last_reconcile_timestamp_seconds", "gauge", "Unix time of the last reconcile.");
    sample(out, "keepalive_tune_agent_last_reconcile_timestamp_seconds", "", static_cast<double>(s.last_reconcile_unix));
    family(out, "keepalive_tune_agent_healthy", "gauge", "1 when /healthz answers 200, 0 when 503.");
    sample(out, "keepalive_tune_agent_healthy", "", unhealthy_reason(s).empty() ? 1 : 0);
    family(out, "keepalive_tune_agent_health_scan_errors_total", "counter", "Health scans (the check series) that failed.");
    sample(out, "keepalive_tune_agent_health_scan_errors_total", "", static_cast<double>(s.health_errors));
    return out;
}

}  // namespace kt::render
