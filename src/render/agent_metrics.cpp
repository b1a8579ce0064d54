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

// A family of one unlabelled sample.
void one(std::string& out, const char* name, const char* type, const char* help, double v) {
    family(out, name, type, help);
    sample(out, name, "", v);
}

// A family with one sample per rule, of the rule's `field`.
template <class T>
void by_rule(std::string& out, const AgentStatus& s, const char* name, const char* type, const char* help, T RuleStatus::*field) {
    family(out, name, type, help);
    for (const auto& r : s.rules) sample(out, name, rule_label(r), static_cast<double>(r.*field));
}
}  // namespace

std::string agent_prometheus(const AgentStatus& s) {
    std::string out;
    auto count = [](auto v) { return static_cast<double>(v); };
    one(out, "keepalive_tune_agent_rules", "gauge", "Rules in the policy in force.", count(s.rules.size()));
    by_rule(out, s, "keepalive_tune_agent_cgroups_matched", "gauge",
            "Cgroups a rule matches (attached, or covered by an attached ancestor), by rule.", &RuleStatus::cgroups_matched);
    by_rule(out, s, "keepalive_tune_agent_programs_attached", "gauge",
            "Cgroups with the agent's programs attached and pinned, by rule.", &RuleStatus::cgroups_attached);
    by_rule(out, s, "keepalive_tune_agent_connections_applied_total", "counter",
            "Open connections given the profile when their cgroup started matching (existing: true), by rule.",
            &RuleStatus::connections_applied);
    by_rule(out, s, "keepalive_tune_agent_connections_apply_failed_total", "counter",
            "Open connections the profile could not be applied to, by rule.", &RuleStatus::connections_failed);
    one(out, "keepalive_tune_agent_cgroups_matched_twice", "gauge", "Cgroups that two or more rules match (the first rule wins).",
        count(s.matched_twice));
    one(out, "keepalive_tune_agent_foreign_pins", "gauge", "Cgroups enforced by hand (not by the agent), left alone.",
        count(s.foreign_pins));
    one(out, "keepalive_tune_agent_cgroups_watched", "gauge", "Cgroup directories watched for new cgroups.",
        count(s.cgroups_watched));
    one(out, "keepalive_tune_agent_policy_ok", "gauge", "1 when the last load of the policy succeeded, 0 when it was rejected.",
        s.policy_ok ? 1 : 0);
    one(out, "keepalive_tune_agent_policy_reloads_total", "counter", "Policy loads that took effect, the first included.",
        count(s.policy_reloads));
    one(out, "keepalive_tune_agent_policy_errors_total", "counter", "Policy loads rejected (the last good policy stays).",
        count(s.policy_errors));
    one(out, "keepalive_tune_agent_reconcile_errors_total", "counter", "Reconciles in which a planned change failed.",
        count(s.reconcile_errors));
    family(out, "keepalive_tune_agent_reconcile_duration_seconds", "histogram", "Time from a trigger to the end of its reconcile.");
    for (std::size_t i = 0; i < k_reconcile_buckets.size(); ++i)
        sample(out, "keepalive_tune_agent_reconcile_duration_seconds_bucket", "le=\"" + number(k_reconcile_buckets[i]) + "\"",
               count(s.reconcile_buckets[i]));
    sample(out, "keepalive_tune_agent_reconcile_duration_seconds_bucket", "le=\"+Inf\"", count(s.reconciles));
    sample(out, "keepalive_tune_agent_reconcile_duration_seconds_sum", "", s.reconcile_seconds_sum);
    sample(out, "keepalive_tune_agent_reconcile_duration_seconds_count", "", count(s.reconciles));
    one(out, "keepalive_tune_agent_last_reconcile_timestamp_seconds", "gauge", "Unix time of the last reconcile.",
        count(s.last_reconcile_unix));
    one(out, "keepalive_tune_agent_healthy", "gauge", "1 when /healthz answers 200, 0 when 503.", unhealthy_reason(s).empty() ? 1 : 0);
    one(out, "keepalive_tune_agent_health_scans_total", "counter", "Health scans (the check series) run.", count(s.health_scans));
    one(out, "keepalive_tune_agent_health_scan_errors_total", "counter", "Health scans (the check series) that failed.",
        count(s.health_errors));
    return out;
}

}  // namespace kt::render
