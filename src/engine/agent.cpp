#include "engine/agent.hpp"

#include "engine/agent_node.hpp"

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

#include "core/profile/catalogue.hpp"
#include "core/profile/network_path.hpp"
#include "sys/bpf_enforce.hpp"
#include "sys/dir_watch.hpp"
#include "sys/config_files.hpp"
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
    if (!o.dry_run)
        if (auto c = agent.keep_counters(); !c) {
            auto e = c.error();
            e.what = "health: connection_ends: " + e.what;
            return std::unexpected(Errors{e});
        }
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
    const std::string policy_dir = sys::directory_of(o.policy_file);
    if (auto w = watch->watch_files_in(policy_dir); !w) return std::unexpected(Errors{w.error()});
    // Where the kubelet names pods and containers; absent on a host without Kubernetes.
    const std::string pod_logs = o.pod_logs, container_logs = sys::directory_of(o.pod_logs) + "/containers";
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
