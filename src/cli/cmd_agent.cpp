// `keepalive-tune agent --policy FILE`: the node's keepalive policy kept true while services
// and pods restart; /metrics and /healthz on loopback unless told otherwise.
#include <memory>

#include "cli/command.hpp"
#include "engine/agent.hpp"

namespace kt::cli {

namespace {
CommandResult run_agent(const GlobalOptions& g, engine::AgentOptions o) {
    if (o.policy_file.empty() && o.policy_given) return std::unexpected(Errors{{"--policy", "must not be empty (a policy file)"}});
    if (o.detach) {
        if (o.once || o.dry_run) return std::unexpected(Errors{{"--detach", "takes no --once or --dry-run"}});
    } else if (o.policy_file.empty()) {
        return std::unexpected(Errors{{"agent", "give --policy FILE (/etc/keepalive-tune/policy.yaml), or --detach"}});
    }
    if (o.dry_run && !o.once) return std::unexpected(Errors{{"--dry-run", "give --once too: --once --dry-run prints the plan"}});
    if (o.pod_logs.empty()) return std::unexpected(Errors{{"--pod-logs", "must not be empty"}});
    if (o.state_dir.empty()) return std::unexpected(Errors{{"--state-dir", "must not be empty"}});
    if (o.metrics_listen.empty() && o.metrics_listen_given)
        return std::unexpected(Errors{{"--metrics-listen", "must not be empty (ADDR:PORT)"}});
    o.profile_dirs = g.profile_dirs;
    o.json = g.json;
    return engine::run_agent(o);
}
}  // namespace

void setup_agent(CLI::App& cmd, const GlobalOptions& global, Dispatch& dispatch) {
    auto o = std::make_shared<engine::AgentOptions>();
    cmd.add_option("--policy", o->policy_file, "the policy file (YAML, schema keepalive-tune.policy.v1)")
        ->type_name("FILE")
        ->each([o](const std::string&) { o->policy_given = true; });
    cmd.add_option("--metrics-listen", o->metrics_listen,
                   "serve /metrics and /healthz here (default: the policy's metrics.listen, else 127.0.0.1:9977)")
        ->type_name("ADDR:PORT")
        ->each([o](const std::string&) { o->metrics_listen_given = true; });
    cmd.add_flag("--once", o->once, "reconcile once, print what was done, and exit");
    cmd.add_flag("--dry-run", o->dry_run, "with --once: print the plan (attach, update, detach, apply) and change nothing");
    cmd.add_flag("--detach", o->detach, "remove every pin the agent made, and exit");
    cmd.add_flag("--json-log", o->json_log, "log JSON lines instead of text (stderr)");
    cmd.add_option("--pod-logs", o->pod_logs,
                   "the kubelet's pod log directory, where pod names come from (default /var/log/pods; container "
                   "names from the containers directory beside it)")
        ->type_name("DIR");
    cmd.add_option("--state-dir", o->state_dir,
                   "where the agent records its pins and keeps the undo files of what it applied (default "
                   "/var/lib/keepalive-tune/agent)")
        ->type_name("DIR");
    dispatch.on(&cmd, [&global, o] { return run_agent(global, *o); });
}

}  // namespace kt::cli
