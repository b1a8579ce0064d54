// `keepalive-tune apply PROFILE TARGET | --sysctl`: put a profile on running sockets or on
// a network namespace's defaults.
#include <memory>

#include "cli/cmd_apply_sockets.hpp"
#include "cli/cmd_apply_sysctl.hpp"
#include "cli/command.hpp"
#include "cli/number_option.hpp"
#include "sys/files.hpp"
#include "sys/output.hpp"
#include "sys/profile_store.hpp"

namespace kt::cli {

namespace {
struct ApplyOptions {
    std::string profile;
    ApplySocketsOptions sockets;
    bool sysctl = false;
    ApplySysctlOptions ns;
};

CommandResult run_apply(const GlobalOptions& g, ApplyOptions& o) {
    // Flags first, then the profile: bad input of any kind changes nothing.
    o.ns.dry_run = o.sockets.dry_run;
    o.ns.undo_file = o.sockets.undo_file;
    const bool ns_flags = !o.ns.netns.empty() || o.ns.netns_of || o.ns.all_netns;
    if (o.sysctl) {
        if (o.sockets.target.any_process() || !o.sockets.target.roles.empty() || !o.sockets.target.ports.empty() ||
            !o.sockets.target.peers.empty())
            return std::unexpected(Errors{{"--sysctl", "sets namespace defaults; it takes no --pid, --comm, --cgroup, "
                                                       "--role, --port or --peer"}});
        if (o.sockets.watch_seconds) return std::unexpected(Errors{{"--watch", "works on sockets, not with --sysctl"}});
    } else {
        // Without --sysctl, --pod and --container name the processes whose sockets change.
        o.sockets.target.pod = o.ns.pod;
        o.sockets.target.container = o.ns.container;
        if (ns_flags)
            return std::unexpected(Errors{{"--netns", "selects namespaces for --sysctl; sockets are found through their "
                                                      "processes, in whatever namespace they are"}});
        if (!o.sockets.target.any_process())
            return std::unexpected(Errors{{"apply", "give a target: --pid PID, --comm NAME, --cgroup PATH, --pod NAME or --container ID-PREFIX, or --sysctl"}});
        if (o.sockets.watch_seconds && o.sockets.dry_run)
            return std::unexpected(Errors{{"--watch", "keeps changing sockets; it cannot be combined with --dry-run"}});
    }
    auto p = sys::load_profile(o.profile, sys::default_profile_dirs(g.profile_dirs));
    if (!p) return std::unexpected(p.error());
    if (o.sockets.dry_run && !o.sockets.undo_file.empty()) {
        // A dry run answers whether the real run would go through, the undo file included.
        if (auto w = sys::check_file_writable(o.sockets.undo_file); !w)
            return std::unexpected(Errors{{"--undo-file " + o.sockets.undo_file, w.error().why}});
        write_warning("--undo-file " + o.sockets.undo_file + ": can be written; not written in a dry run (nothing changes)");
    }
    return o.sysctl ? run_apply_sysctl(g, *p, o.ns) : run_apply_sockets(g, *p, o.sockets);
}
}  // namespace

void setup_apply(CLI::App& cmd, const GlobalOptions& global, Dispatch& dispatch) {
    auto o = std::make_shared<ApplyOptions>();
    cmd.add_option("profile", o->profile, "profile name or path to a .json file")->required();
    add_target_options(cmd, o->sockets.target);
    cmd.add_flag("--dry-run", o->sockets.dry_run, "print the plan and change nothing");
    cmd.add_option("--undo-file", o->sockets.undo_file,
                   "record the values before the change here (written before anything changes) for `undo`");
    cmd.add_option("--watch", o->sockets.watch_seconds,
                   "after the first pass, apply to new matching sockets every SECONDS until SIGINT/SIGTERM")
        ->check(whole_number(1, 86400))
        ->type_name("SECONDS");
    cmd.add_flag("--sysctl", o->sysctl,
                 "set the network namespace defaults net.ipv4.tcp_keepalive_time/intvl/probes instead of sockets");
    cmd.add_option("--netns", o->ns.netns, "with --sysctl: the namespace NAME (/run/netns) or PATH");
    as_pid(cmd.add_option("--netns-of", o->ns.netns_of, "with --sysctl: the namespace of process PID"));
    cmd.add_flag("--all-netns", o->ns.all_netns, "with --sysctl: every network namespace on the host");
    cmd.add_option("--pod", o->ns.pod,
                   "every process of the Kubernetes pod NAME or NAMESPACE/NAME, or of the processes with hostname NAME; "
                   "with --sysctl: their network namespace")
        ->type_name("NAME");
    cmd.add_option("--container", o->ns.container,
                   "every process of the container whose id starts with ID-PREFIX; with --sysctl: its network namespace")
        ->type_name("ID-PREFIX");
    dispatch.on(&cmd, [&global, o] { return run_apply(global, *o); });
}

}  // namespace kt::cli
