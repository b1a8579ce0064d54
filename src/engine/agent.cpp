#include "engine/agent.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>

#include "core/profile/catalogue.hpp"
#include "core/profile/network_path.hpp"
#include "core/socket/socket_role.hpp"
#include "core/timewait/check_policy.hpp"
#include "engine/agent_log.hpp"
#include "engine/apply_cgroup.hpp"
#include "engine/check_scan.hpp"
#include "engine/engine_choice.hpp"
#include "render/agent_metrics.hpp"
#include "render/check_view.hpp"
#include "sys/bpf_enforce.hpp"
#include "sys/cgroup_tree.hpp"
#include "sys/dir_watch.hpp"
#include "sys/files.hpp"
#include "sys/metrics_server.hpp"
#include "sys/output.hpp"
#include "sys/profile_store.hpp"
#include "sys/target_processes.hpp"

namespace kt::engine {

std::expected<LoadedPolicy, Errors> load_policy(const std::string& file, const std::vector<std::string>& profile_dirs) {
    struct stat st{};
    if (::stat(file.c_str(), &st) != 0) return std::unexpected(Errors{{"--policy " + file, sys::errno_text(errno)}});
    if (S_ISDIR(st.st_mode))
        return std::unexpected(Errors{{"--policy " + file, "is a directory; give the policy file (policy.yaml)"}});
    auto text = sys::read_text_file(file, 4 << 20);
    if (!text) return std::unexpected(Errors{text.error()});
    auto policy = parse_agent_policy(*text, file);
    if (!policy) return std::unexpected(Errors{policy.error()});
    LoadedPolicy out{std::move(*policy), {}, std::move(*text)};
    // A paths file that would fail every health scan is refused with the policy, not later.
    if (!out.policy.health_paths.empty()) {
        auto paths = sys::read_text_file(out.policy.health_paths, 1 << 20);
        auto rules = paths ? parse_paths_file(*paths, out.policy.health_paths, middlebox_catalogue())
                           : std::expected<std::vector<PathRule>, Errors>(std::unexpected(Errors{paths.error()}));
        if (!rules)
            return std::unexpected(Errors{{file + ": health.paths", rules.error().empty() ? "cannot be read" : rules.error().front().line()}});
    }
    // Names are found as everywhere else (--profile-dir, /etc/keepalive-tune/profiles, the
    // shipped ones); a path is read as it is written.
    const auto dirs = sys::default_profile_dirs(profile_dirs);
    for (const auto& rule : out.policy.rules) {
        auto p = sys::load_profile(rule.profile, dirs);
        if (!p) {
            const std::string why = p.error().empty() ? "cannot be loaded" : p.error().front().line();
            return std::unexpected(Errors{{rule.profile_at.file_line_column(), "rule " + rule.name + ": profile " + why}});
        }
        if (rule.override_app && !p->keepalive.enabled)
            return std::unexpected(Errors{{rule.profile_at.file_line_column(),
                                           "rule " + rule.name + ": override_app with profile " + p->name +
                                               ", which turns keepalive off: there are no values to impose"}});
        if (auto c = make_enforce_config({&*p, rule.roles, rule.override_app, "/", 1, 0}); !c)
            return std::unexpected(Errors{{rule.profile_at.file_line_column(), "rule " + rule.name + ": " + c.error().why}});
        out.profiles.push_back(std::move(*p));
    }
    return out;
}

namespace {
std::int64_t unix_now() { return static_cast<std::int64_t>(std::time(nullptr)); }

double seconds_since(std::chrono::steady_clock::time_point t) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

std::string dir_of(const std::string& file) {
    const auto slash = file.rfind('/');
    if (slash == std::string::npos) return ".";
    return slash == 0 ? "/" : file.substr(0, slash);
}

// The node's agent: one per process, driven by run_agent's loop.
class Agent {
public:
    Agent(const AgentOptions& o, LoadedPolicy policy, sys::AgentPins owned)
        : m_o(o), m_policy(std::move(policy)), m_owned(std::move(owned)), m_log(o.json_log) {
        m_sources.root = sys::cgroup2_mount();
        m_sources.pod_logs = o.pod_logs;
        m_sources.container_logs = dir_of(o.pod_logs) + "/containers";
        set_rules();
    }
    ~Agent() { stop_health(); }

    ReconcilePlan plan() {
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

    // Only the directories just made (inotify), against what the last full plan assigned: a
    // new cgroup is attached without listing every cgroup and pin again. Whatever else changed
    // waits for the full reconcile that follows shortly.
    void attach_made(const std::vector<std::string>& made) {
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
            if (auto spare = sys::preload_enforce(); !spare) m_log.error("loading the programs ahead", spare.error().line());
        std::lock_guard lock(m_mutex);
        m_status.observe_reconcile(took, unix_now());
        if (!ok) {
            ++m_status.reconcile_errors;
            m_status.reconcile_ok = false;
            m_status.reconcile_error = m_last_error;
        }
        for (auto& r : m_status.rules) {
            r.cgroups_attached = 0;
            for (const auto& [id, pin] : m_owned) r.cgroups_attached += pin.rule == r.name;
        }
        if (!steps.empty())
            m_log.info("reconciled", {{"trigger", "cgroup made"}, {"changes", std::to_string(steps.size())},
                                      {"seconds", std::to_string(took)}});
    }

    // Plans and carries the plan out; false when a change failed.
    bool reconcile(const char* trigger) {
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
            if (auto spare = sys::preload_enforce(); !spare) m_log.error("loading the programs ahead", spare.error().line());
        std::lock_guard lock(m_mutex);
        m_status.observe_reconcile(took, unix_now());
        m_status.reconcile_ok = ok;
        m_status.reconcile_error = ok ? "" : m_last_error;
        if (!ok) ++m_status.reconcile_errors;
        m_status.matched_twice = p.matched_twice.size();
        m_status.foreign_pins = p.foreign.size();
        for (std::size_t i = 0; i < m_status.rules.size() && i < p.matched_per_rule.size(); ++i) {
            m_status.rules[i].cgroups_matched = p.matched_per_rule[i];
            m_status.rules[i].cgroups_attached = 0;
            for (const auto& [id, pin] : m_owned) m_status.rules[i].cgroups_attached += pin.rule == m_status.rules[i].name;
        }
        if (changes) m_log.info("reconciled", {{"trigger", trigger}, {"changes", std::to_string(changes)},
                                               {"seconds", std::to_string(took)}});
        return ok;
    }

    // A policy file changed (or SIGHUP): the new one, or the old one kept and the error counted.
    // `force` (SIGHUP): loaded even when the policy's text is the same, since its profiles may
    // have changed.
    void reload(const char* trigger, bool force = false) {
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
        m_log.info("policy loaded", {{"file", m_o.policy_file}, {"rules", std::to_string(m_policy.policy.rules.size())},
                                     {"trigger", trigger}});
        reconcile("policy changed");
    }

    bool policy_ok() {
        std::lock_guard lock(m_mutex);
        return m_status.policy_ok;
    }

    void start_health() {
        m_health = std::thread([this] { health_loop(); });
    }
    void stop_health() {
        {
            std::lock_guard lock(m_mutex);
            m_stopping = true;
        }
        m_wake.notify_all();
        if (m_health.joinable()) m_health.join();
    }

    // Whether the health thread is between scans within `limit` of being told to stop: a scan
    // of a busy node takes longer than a stop may wait.
    bool health_stops_within(std::chrono::milliseconds limit) {
        std::unique_lock lock(m_mutex);
        m_stopping = true;
        m_wake.notify_all();
        return m_health_idle.wait_for(lock, limit, [this] { return !m_scanning; });
    }

    sys::HttpRoutes routes() {
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

    void set_watched(std::size_t n) {
        std::lock_guard lock(m_mutex);
        m_status.cgroups_watched = n;
    }
    void count_policy_load() {
        std::lock_guard lock(m_mutex);
        ++m_status.policy_reloads;
    }
    AgentLog& log() { return m_log; }
    const sys::AgentPins& owned() const { return m_owned; }
    const LoadedPolicy& policy() const { return m_policy; }

private:
    void set_rules() {
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

    bool carry_out(const PlanStep& step) {
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

    bool failed(const std::string& action, const std::string& cgroup, const std::string& why) {
        m_log.error(action + " failed", cgroup + ": " + why);
        if (m_last_error.empty()) m_last_error = action + " " + cgroup + ": " + why;
        return false;
    }

    // Double matches, pins made by hand and cgroups they block: said once each, not every minute.
    void report_once(const ReconcilePlan& p) {
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

    void health_loop() {
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

nlohmann::json plan_json(const ReconcilePlan& p, const LoadedPolicy& policy, bool dry_run) {
    nlohmann::json steps = nlohmann::json::array();
    for (const auto& s : p.steps) {
        nlohmann::json j{{"action", reconcile_action_name(s.action)}, {"cgroup", s.cgroup}, {"cgroup_id", s.cgroup_id}};
        if (s.rule >= 0) {
            j["rule"] = s.rule_name;
            j["profile"] = policy.profiles[static_cast<std::size_t>(s.rule)].name;
            j["apply_existing"] = s.apply_existing;
        }
        if (!s.changes.empty()) j["changes"] = s.changes;
        if (!s.why.empty()) j["why"] = s.why;
        steps.push_back(std::move(j));
    }
    nlohmann::json twice = nlohmann::json::array();
    for (const auto& d : p.matched_twice) twice.push_back({{"cgroup", d.cgroup}, {"rules", d.rules}});
    return {{"schema", "keepalive-tune.agent-plan.v1"}, {"policy", policy.policy.file}, {"dry_run", dry_run},
            {"steps", steps}, {"matched_twice", twice}, {"left_alone", p.foreign}, {"blocked", p.blocked}};
}

std::string plan_text(const ReconcilePlan& p, const LoadedPolicy& policy, bool dry_run) {
    std::string out = std::string(dry_run ? "plan (dry run, nothing changed)" : "reconciled") + ": policy " +
                      policy.policy.file + ", " + std::to_string(policy.policy.rules.size()) + " rule(s)\n";
    for (const auto& s : p.steps) {
        out += std::string(reconcile_action_name(s.action)) + "  " + s.cgroup;
        if (s.rule >= 0)
            out += "  rule " + s.rule_name + " (profile " + policy.profiles[static_cast<std::size_t>(s.rule)].name + ")";
        if (s.apply_existing) out += ", and its open connections";
        for (const auto& c : s.changes) out += "; " + c;
        if (!s.why.empty()) out += " (" + s.why + ")";
        out += "\n";
    }
    if (p.steps.empty()) out += "no cgroup matches a rule\n";
    for (const auto& d : p.matched_twice) {
        out += "matched twice: " + d.cgroup + ": rules";
        for (const auto& r : d.rules) out += " " + r;
        out += " (" + d.rules.front() + " wins)\n";
    }
    for (const auto& b : p.blocked) out += "not attached: " + b + "\n";
    for (const auto& f : p.foreign) out += "left alone (enforced by hand): " + f + "\n";
    return out;
}

// --detach: every pin the agent recorded, removed.
std::expected<int, Errors> detach_all(const AgentOptions& o, sys::AgentPins owned) {
    Errors errors;
    nlohmann::json removed = nlohmann::json::array();
    for (auto it = owned.begin(); it != owned.end();) {
        auto r = sys::remove_enforced(it->first);
        if (!r) {
            errors.push_back(r.error());
            ++it;
            continue;
        }
        if (!o.json) write_out("detached: " + it->second.cgroup + " (rule " + it->second.rule + ")\n");
        removed.push_back({{"cgroup", it->second.cgroup}, {"cgroup_id", it->first}, {"rule", it->second.rule}});
        it = owned.erase(it);
    }
    if (auto w = sys::write_agent_pins(o.state_dir, owned); !w) errors.push_back(w.error());
    if (!errors.empty()) return std::unexpected(errors);
    if (o.json)
        write_json({{"schema", "keepalive-tune.agent-detach.v1"}, {"detached", removed}});
    else if (removed.empty())
        write_out("nothing to detach: the agent has no pins\n");
    return 0;
}

sigset_t stop_signals() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    return set;
}
}  // namespace

std::expected<int, Errors> run_agent(const AgentOptions& o) {
    // Nothing is attached, and no lock taken, before the policy is known to be good.
    std::expected<LoadedPolicy, Errors> policy = o.detach ? LoadedPolicy{} : load_policy(o.policy_file, o.profile_dirs);
    if (!policy) return std::unexpected(policy.error());
    std::string listen = !o.metrics_listen.empty() ? o.metrics_listen
                         : !policy->policy.metrics_listen.empty() ? policy->policy.metrics_listen
                                                                   : k_default_metrics_listen;
    if (!o.detach && !o.once)
        if (auto a = sys::split_listen_address(listen); !a) return std::unexpected(Errors{a.error()});

    // One agent per node; a dry run changes nothing and may run beside one.
    std::optional<sys::AgentLock> lock;
    if (!o.dry_run) {
        auto taken = sys::AgentLock::take(o.lock_file);
        if (!taken) return std::unexpected(Errors{taken.error()});
        lock.emplace(std::move(*taken));
    }
    auto owned = sys::read_agent_pins(o.state_dir);
    if (!owned) return std::unexpected(Errors{owned.error()});
    if (o.detach) return detach_all(o, std::move(*owned));
    if (!o.dry_run)
        if (auto loads = sys::preload_enforce(); !loads) return std::unexpected(Errors{loads.error()});

    Agent agent(o, std::move(*policy), std::move(*owned));
    agent.count_policy_load();
    if (o.once) {
        ReconcilePlan p = agent.plan();
        bool ok = true;
        if (!o.dry_run) ok = agent.reconcile("once");
        std::fflush(stderr);
        if (o.json)
            write_json(plan_json(p, agent.policy(), o.dry_run));
        else
            write_out(plan_text(p, agent.policy(), o.dry_run));
        return ok ? 0 : 1;
    }

    // Blocked before any thread starts, so every thread inherits the mask and only the
    // signalfd sees them.
    const sigset_t signals = stop_signals();
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    sys::UniqueFd sigfd(::signalfd(-1, &signals, SFD_CLOEXEC | SFD_NONBLOCK));
    if (!sigfd) return std::unexpected(Errors{{"signalfd", sys::errno_text(errno)}});
    auto watch = sys::DirWatch::open();
    if (!watch) return std::unexpected(Errors{watch.error()});
    const std::string root = sys::cgroup2_mount();
    auto watched = watch->watch_tree(root);
    if (!watched) return std::unexpected(Errors{watched.error()});
    const std::string policy_dir = dir_of(o.policy_file);
    if (auto w = watch->watch_files_in(policy_dir); !w) return std::unexpected(Errors{w.error()});
    // Where the kubelet names pods and containers; absent on a host without Kubernetes.
    const std::string pod_logs = o.pod_logs, container_logs = dir_of(o.pod_logs) + "/containers";
    for (const auto& d : {pod_logs, container_logs})
        if (::access(d.c_str(), F_OK) == 0)
            if (auto w = watch->watch_files_in(d); !w) agent.log().warn("not watched", w.error().line());
    agent.set_watched(*watched);
    std::size_t unwatched_said = 0;
    auto say_unwatched = [&] {
        if (watch->unwatched() == unwatched_said) return;
        unwatched_said = watch->unwatched();
        agent.log().warn("not watched", std::to_string(unwatched_said) +
                                            " cgroup directories over the inotify limit (fs.inotify.max_user_watches): cgroups "
                                            "made below them are found by the rescan every " +
                                            std::to_string(o.rescan_seconds) + " s instead");
    };
    say_unwatched();

    auto server = sys::MetricsServer::start(listen, agent.routes());
    if (!server) return std::unexpected(Errors{server.error()});
    agent.log().info("started", {{"policy", o.policy_file}, {"rules", std::to_string(agent.policy().policy.rules.size())},
                                 {"metrics", "http://" + listen + "/metrics"}, {"cgroups_watched", std::to_string(*watched)},
                                 {"pid", std::to_string(::getpid())}});
    agent.reconcile("start");
    agent.start_health();

    auto next_rescan = std::chrono::steady_clock::now() + std::chrono::seconds(o.rescan_seconds);
    // When a full reconcile is due after cgroups were made; never, when none is.
    constexpr auto k_never = std::chrono::steady_clock::time_point::max();
    auto full_due = k_never;
    for (;;) {
        const auto next = std::min(full_due, next_rescan);
        const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(next - std::chrono::steady_clock::now());
        pollfd fds[2] = {{sigfd.get(), POLLIN, 0}, {watch->fd(), POLLIN, 0}};
        const int n = ::poll(fds, 2, static_cast<int>(std::max<std::int64_t>(0, wait.count())));
        if (n < 0 && errno != EINTR) {
            agent.log().error("poll", sys::errno_text(errno));
            return 1;
        }
        if (fds[0].revents & POLLIN) {
            signalfd_siginfo si{};
            bool stop = false;
            while (::read(sigfd.get(), &si, sizeof si) == static_cast<ssize_t>(sizeof si)) {
                if (si.ssi_signo == SIGHUP)
                    agent.reload("SIGHUP", true);
                else
                    stop = true;
            }
            if (stop) {
                agent.log().info("stopping", {{"signal", std::to_string(si.ssi_signo)}, {"pins", "kept"}});
                // Everything the agent changed is in bpffs and its state files already; a
                // health scan still running has nothing to finish that outlives it.
                if (!agent.health_stops_within(std::chrono::milliseconds(1000))) {
                    std::fflush(nullptr);
                    std::_Exit(0);
                }
                return 0;
            }
        }
        if (fds[1].revents & POLLIN) {
            const auto events = watch->read_events();
            agent.set_watched(watch->watched());
            say_unwatched();
            const auto changed = [&](const std::string& dir) {
                return std::find(events.files_in.begin(), events.files_in.end(), dir) != events.files_in.end();
            };
            if (changed(policy_dir)) agent.reload("policy file changed");
            if (events.tree_lost) {
                agent.reconcile("cgroup removed");
                full_due = k_never;
            } else if (!events.made.empty()) {
                agent.attach_made(events.made);
                // The rest of what a new cgroup may change (pins made meanwhile, a pod's
                // names), in a full reconcile a moment later, once for a burst of them.
                if (full_due == k_never) full_due = std::chrono::steady_clock::now() + std::chrono::seconds(1);
            }
            // A pod's log directory may appear after its cgroup: its pod rules match from then.
            if (changed(pod_logs) || changed(container_logs)) agent.reconcile("pod names changed");
        }
        if (std::chrono::steady_clock::now() >= full_due) {
            agent.reconcile("cgroup made");
            full_due = k_never;
        }
        if (std::chrono::steady_clock::now() >= next_rescan) {
            agent.reconcile("rescan");
            next_rescan = std::chrono::steady_clock::now() + std::chrono::seconds(o.rescan_seconds);
        }
    }
}

}  // namespace kt::engine
