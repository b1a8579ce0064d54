#include "engine/agent_node.hpp"

#include <ctime>

#include "core/socket/socket_role.hpp"
#include "core/timewait/check_policy.hpp"
#include "engine/apply_cgroup.hpp"
#include "engine/check_scan.hpp"
#include "engine/engine_choice.hpp"
#include "render/agent_metrics.hpp"
#include "render/check_view.hpp"
#include "sys/bpf_end_counters.hpp"
#include "sys/bpf_enforce.hpp"
#include "sys/config_files.hpp"
#include "sys/files.hpp"
#include "sys/target_processes.hpp"

namespace kt::engine {

namespace {
std::int64_t unix_now() { return static_cast<std::int64_t>(std::time(nullptr)); }

double seconds_since(std::chrono::steady_clock::time_point t) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}
}  // namespace

Agent::Agent(const AgentOptions& o, LoadedPolicy policy, sys::AgentPins owned)
    : m_o(o), m_policy(std::move(policy)), m_owned(std::move(owned)), m_log(o.json_log) {
    m_sources.root = sys::cgroup2_mount();
    m_sources.pod_logs = o.pod_logs;
    m_sources.container_logs = sys::directory_of(o.pod_logs) + "/containers";
    set_rules();
}

ReconcilePlan Agent::plan() {
    std::vector<const Profile*> profiles;
    for (const auto& p : m_policy.profiles) profiles.push_back(&p);
    std::vector<PinnedCgroup> pins;
    auto listed = sys::list_enforced();
    if (!listed) {
        m_last_error = listed.error().line();
        return {};
    }
    for (const auto& p : *listed)
        pins.push_back({p.config, p.cgroup_exists, m_owned.count(p.config.cgroup_id) > 0});
    // A pin recorded as the agent's but gone from bpffs (removed by hand): forget it.
    std::set<std::uint64_t> present;
    for (const auto& p : *listed) present.insert(p.config.cgroup_id);
    std::erase_if(m_owned, [&](const auto& entry) { return !present.count(entry.first); });
    auto plan = plan_reconcile(m_policy.policy, profiles, sys::list_cgroups(m_sources), pins,
                               static_cast<std::uint64_t>(unix_now()));
    m_assigned = plan.assigned;
    return plan;
}

void Agent::attach_made(const std::vector<std::string>& made) {
    const auto start = std::chrono::steady_clock::now();
    m_last_error.clear();
    std::vector<const Profile*> profiles;
    for (const auto& p : m_policy.profiles) profiles.push_back(&p);
    const auto steps = plan_new_cgroups(m_policy.policy, profiles, sys::describe_cgroups(m_sources, made), m_assigned,
                                        static_cast<std::uint64_t>(unix_now()));
    bool ok = true;
    for (const auto& step : steps) ok = carry_out(step) && ok;
    const double took = seconds_since(start);
    if (!steps.empty())
        preload();
    std::lock_guard lock(m_mutex);
    m_status.observe_reconcile(took, unix_now());
    if (!ok) {
        ++m_status.reconcile_errors;
        m_status.reconcile_ok = false;
        m_status.reconcile_error = m_last_error;
    }
    count_attached();
    if (!steps.empty())
        m_log.info("reconciled", {{"trigger", "cgroup made"}, {"changes", std::to_string(steps.size())},
                                  {"seconds", std::to_string(took)}});
}

bool Agent::reconcile(const char* trigger) {
    const auto start = std::chrono::steady_clock::now();
    m_last_error.clear();
    ReconcilePlan p = plan();
    bool ok = m_last_error.empty();
    std::size_t changes = 0;
    for (const auto& step : p.steps) {
        if (step.action == ReconcileAction::keep) continue;
        ++changes;
        ok = carry_out(step) && ok;
    }
    if (changes)
        if (auto w = sys::write_agent_pins(m_o.state_dir, m_owned); !w) {
            m_log.error("state", w.error().line());
            ok = false;
            if (m_last_error.empty()) m_last_error = w.error().line();
        }
    report_once(p);
    const double took = seconds_since(start);
    // The next attach finds its programs loaded already (after the clock: this is not
    // part of the latency a new cgroup waits for).
    if (p.count(ReconcileAction::attach))
        preload();
    std::lock_guard lock(m_mutex);
    m_status.observe_reconcile(took, unix_now());
    m_status.reconcile_ok = ok;
    m_status.reconcile_error = ok ? "" : m_last_error;
    if (!ok) ++m_status.reconcile_errors;
    m_status.matched_twice = p.matched_twice.size();
    m_status.foreign_pins = p.foreign.size();
    for (std::size_t i = 0; i < m_status.rules.size() && i < p.matched_per_rule.size(); ++i)
        m_status.rules[i].cgroups_matched = p.matched_per_rule[i];
    count_attached();
    if (changes) m_log.info("reconciled", {{"trigger", trigger}, {"changes", std::to_string(changes)},
                                           {"seconds", std::to_string(took)}});
    return ok;
}

void Agent::reload(const char* trigger, bool force) {
    auto loaded = load_policy(m_o.policy_file, m_o.profile_dirs);
    if (!loaded) {
        const std::string why = loaded.error().front().line();
        // The same bad text seen again (an editor writes twice) is one rejection.
        if (why == m_rejected) return;
        m_rejected = why;
        m_log.error("policy rejected", why + "; keeping the policy loaded before");
        std::lock_guard lock(m_mutex);
        m_status.policy_ok = false;
        m_status.policy_error = why;
        ++m_status.policy_errors;
        return;
    }
    m_rejected.clear();
    if (!force && loaded->text == m_policy.text && policy_ok()) return;
    m_policy = std::move(*loaded);
    {
        std::lock_guard lock(m_mutex);
        m_status.policy_ok = true;
        m_status.policy_error.clear();
        ++m_status.policy_reloads;
    }
    set_rules();
    if (auto c = keep_counters(); !c) m_log.error("connection-end counters", c.error().line());
    m_log.info("policy loaded", {{"file", m_o.policy_file}, {"rules", std::to_string(m_policy.policy.rules.size())},
                                 {"trigger", trigger}});
    reconcile("policy changed");
}

bool Agent::policy_ok() {
    std::lock_guard lock(m_mutex);
    return m_status.policy_ok;
}

void Agent::start_health() {
    m_health = std::thread([this] { health_loop(); });
}

void Agent::stop_health() {
    {
        std::lock_guard lock(m_mutex);
        m_stopping = true;
    }
    m_wake.notify_all();
    if (m_health.joinable()) m_health.join();
}

bool Agent::health_stops_within(std::chrono::milliseconds limit) {
    std::unique_lock lock(m_mutex);
    m_stopping = true;
    m_wake.notify_all();
    return m_health_idle.wait_for(lock, limit, [this] { return !m_scanning; });
}

sys::HttpRoutes Agent::routes() {
    return {[this] {
                std::lock_guard lock(m_mutex);
                return sys::HttpAnswer{200, render::agent_prometheus(m_status) + m_health_text,
                                       "text/plain; version=0.0.4; charset=utf-8"};
            },
            [this] {
                std::lock_guard lock(m_mutex);
                const std::string why = unhealthy_reason(m_status);
                return why.empty() ? sys::HttpAnswer{200, "ok\n"} : sys::HttpAnswer{503, why + "\n"};
            }};
}

void Agent::set_watched(std::size_t n) {
    std::lock_guard lock(m_mutex);
    m_status.cgroups_watched = n;
}

void Agent::count_policy_load() {
    std::lock_guard lock(m_mutex);
    ++m_status.policy_reloads;
}

Result<void> Agent::keep_counters() {
    if (!m_policy.policy.connection_ends) return {};
    auto r = sys::install_end_counters();
    if (!r) return std::unexpected(r.error());
    if (!r->already) m_log.info("connection-end counters installed", {{"pin_dir", sys::end_counters_dir()}});
    return {};
}

void Agent::preload() {
    auto spare = sys::preload_enforce();
    if (!spare) m_log.error("loading the programs ahead", spare.error().line());
    // The next attach would fail the same way: /healthz says so until a load succeeds.
    std::lock_guard lock(m_mutex);
    m_status.bpf_ok = spare.has_value();
    m_status.bpf_error = spare ? "" : spare.error().line();
}

void Agent::count_attached() {
    for (auto& r : m_status.rules) {
        r.cgroups_attached = 0;
        for (const auto& [id, pin] : m_owned) r.cgroups_attached += pin.rule == r.name;
    }
}

void Agent::set_rules() {
    std::lock_guard lock(m_mutex);
    std::vector<RuleStatus> rules;
    for (std::size_t i = 0; i < m_policy.policy.rules.size(); ++i) {
        RuleStatus r{m_policy.policy.rules[i].name, m_policy.profiles[i].name};
        // Counters of a rule that stays carry over a reload.
        for (const auto& old : m_status.rules)
            if (old.name == r.name) {
                r.connections_applied = old.connections_applied;
                r.connections_failed = old.connections_failed;
            }
        rules.push_back(std::move(r));
    }
    m_status.rules = std::move(rules);
    m_health_every_ms = m_policy.policy.health_every_ms;
    m_health_paths = m_policy.policy.health_paths;
}

bool Agent::carry_out(const PlanStep& step) {
    const std::string rule = step.rule_name;
    if (step.action == ReconcileAction::detach) {
        auto removed = sys::remove_enforced(step.cgroup_id);
        if (!removed) return failed("detach", step.cgroup, removed.error().line());
        m_owned.erase(step.cgroup_id);
        m_log.info("detached", {{"cgroup", step.cgroup}, {"why", step.why}});
        return true;
    }
    auto config = make_enforce_config(step.request);
    if (!config) return failed(reconcile_action_name(step.action), step.cgroup, config.error().line());
    // Recorded before the attach: a pin the agent made is never taken for one made by hand.
    // An update of a pin already recorded under this rule changes nothing on disk.
    const auto known = m_owned.find(step.cgroup_id);
    if (known == m_owned.end() || known->second.rule != rule || known->second.cgroup != step.cgroup) {
        m_owned[step.cgroup_id] = {step.cgroup, rule};
        if (auto w = sys::write_agent_pins(m_o.state_dir, m_owned); !w) {
            m_owned.erase(step.cgroup_id);
            return failed(reconcile_action_name(step.action), step.cgroup, w.error().line() + "; nothing attached");
        }
    }
    auto done = sys::enforce(*config);
    if (!done) {
        if (step.action == ReconcileAction::attach) m_owned.erase(step.cgroup_id);
        return failed(reconcile_action_name(step.action), step.cgroup, done.error().line());
    }
    const Profile& profile = *step.request.profile;
    if (step.action == ReconcileAction::update) {
        std::string what;
        for (const auto& c : step.changes) what += (what.empty() ? "" : "; ") + c;
        m_log.info("updated", {{"rule", rule}, {"profile", profile.name}, {"cgroup", step.cgroup}, {"changed", what}});
        return true;
    }
    m_log.info("attached", {{"rule", rule}, {"profile", profile.name}, {"cgroup", step.cgroup},
                            {"roles", role_list_text(step.request.roles)}});
    if (!step.apply_existing) return true;
    const std::string undo = m_o.state_dir + "/undo-" + rule + ".json";
    auto applied = apply_to_cgroup(profile, step.cgroup, step.request.roles, undo);
    if (!applied) return failed("apply", step.cgroup, applied.error().line());
    {
        std::lock_guard lock(m_mutex);
        for (auto& r : m_status.rules)
            if (r.name == rule) {
                r.connections_applied += applied->changed;
                r.connections_failed += applied->failed;
            }
    }
    if (applied->changed || applied->failed)
        m_log.info("applied", {{"rule", rule}, {"profile", profile.name}, {"cgroup", step.cgroup},
                               {"changed", std::to_string(applied->changed)}, {"failed", std::to_string(applied->failed)},
                               {"compliant", std::to_string(applied->compliant)}, {"undo_file", undo}});
    return applied->failed == 0;
}

bool Agent::failed(const std::string& action, const std::string& cgroup, const std::string& why) {
    m_log.error(action + " failed", cgroup + ": " + why);
    if (m_last_error.empty()) m_last_error = action + " " + cgroup + ": " + why;
    return false;
}

void Agent::report_once(const ReconcilePlan& p) {
    std::set<std::string> now;
    for (const auto& d : p.matched_twice) {
        std::string rules;
        for (const auto& r : d.rules) rules += (rules.empty() ? "" : ", ") + r;
        const std::string key = "twice " + d.cgroup + " " + rules;
        now.insert(key);
        if (!m_reported.count(key))
            m_log.warn("matched twice", d.cgroup + ": rules " + rules + " match it; the first (" + d.rules.front() + ") wins");
    }
    for (const auto& f : p.foreign) {
        now.insert("foreign " + f);
        if (!m_reported.count("foreign " + f)) m_log.info("left alone", {{"pin", f}, {"why", "enforced by hand, not by the agent"}});
    }
    for (const auto& b : p.blocked) {
        now.insert("blocked " + b);
        if (!m_reported.count("blocked " + b)) m_log.warn("not attached", b);
    }
    m_reported = std::move(now);
}

void Agent::health_loop() {
    for (;;) {
        std::uint64_t every = 0;
        std::string paths;
        {
            std::lock_guard lock(m_mutex);
            if (m_stopping) return;
            every = m_health_every_ms;
            paths = m_health_paths;
            m_scanning = true;  // told under the same lock as the stop, so a stop sees it
        }
        HealthOptions h;
        h.all_netns = true;
        h.paths_file = paths;
        h.profile_dirs = m_o.profile_dirs;
        std::string text;
        bool ok = false;
        // One iterator for every scan: loading it (libbpf reading the kernel's BTF) costs
        // more than a scan of a busy node.
        if (!m_iterator_tried) {
            m_iterator_tried = true;
            if (auto it = open_engine("auto", Fallback::quiet)) m_iterator = std::move(*it);
        }
        try {
            auto scan = scan_for_check(h, m_iterator.get());
            if (scan) {
                const auto result = evaluate_check(scan->input, CheckThresholds{});
                text = render::check_prometheus(result, scan->input, unix_now());
                ok = true;
            } else {
                m_log.error("health scan failed", scan.error().front().line());
            }
        } catch (const std::exception& e) {
            m_log.error("health scan failed", e.what());
        }
        sys::return_free_memory();
        std::unique_lock lock(m_mutex);
        m_scanning = false;
        m_health_idle.notify_all();
        ++m_status.health_scans;
        if (ok)
            m_health_text = std::move(text);
        else
            ++m_status.health_errors;
        m_wake.wait_for(lock, std::chrono::milliseconds(every), [this] { return m_stopping; });
    }
}

}  // namespace kt::engine
