#include "cli/health_options.hpp"

#include "cli/container_options.hpp"
#include "cli/engine_option.hpp"
#include "cli/number_option.hpp"

namespace kt::cli {

void add_health_options(CLI::App& cmd, engine::HealthOptions& o, bool with_selection) {
    cmd.add_option("--path", o.path_lists,
                   "middleboxes every connection crosses: catalogue ids (`profile middleboxes`) and NAME=DURATION "
                   "entries (corp-fw=1800s), comma-separated or repeated");
    cmd.add_option("--profile", o.profile, "use this profile's path");
    cmd.add_option("--paths", o.paths_file, "a JSON file mapping peer CIDRs to paths; the most specific CIDR wins");
    cmd.add_option("--top", o.top, "owners and destinations listed in the roll-ups (1..1000); the rest are summed (default 10)")
        ->check(whole_number(1, k_max_top))
        ->type_name("N");
    cmd.add_option("--netns", o.netns, "the network namespace NAME (/run/netns) or PATH");
    as_pid(cmd.add_option("--netns-of", o.netns_of, "the network namespace of process PID"));
    cmd.add_flag("--all-netns", o.all_netns, "every network namespace on the host");
    add_container_options(cmd, o.pod, o.container);
    if (!with_selection) return;
    auto& f = o.flags;
    const CLI::Option* state = cmd.add_option("--state", f.states, "states, comma-separated, as ss(8) names them (default: connected)");
    o.states_given = [state] { return state->count() > 0; };
    for (auto [name, into, help] : {std::tuple{"--sport", &f.sports, "local port or LO-HI range (repeatable)"},
                                    std::tuple{"--dport", &f.dports, "peer port or LO-HI range (repeatable)"},
                                    std::tuple{"--port", &f.ports, "local or peer port or LO-HI range (repeatable)"},
                                    std::tuple{"--peer", &f.peers, "peer address or CIDR (repeatable)"},
                                    std::tuple{"--local", &f.locals, "local address or CIDR (repeatable)"}})
        cmd.add_option(name, *into, help)->take_all()->allow_extra_args(false);
    cmd.add_flag("-4,--ipv4", f.ipv4_only, "IPv4 sockets only");
    cmd.add_flag("-6,--ipv6", f.ipv6_only, "IPv6 sockets only (including IPv4-mapped)");
    cmd.add_option("--role", f.roles, "accepted, upstream, comma-separated");
    cmd.add_option("--keepalive", f.keepalive, "on, off or unknown (as inspect shows it)");
    cmd.add_option("--idle-over", f.idle_over, "only connections idle longer than DURATION (90s, 5m, 350)");
    cmd.add_option("--idle-under", f.idle_under, "only connections idle less than DURATION");
    as_pid(cmd.add_option("--pid", o.pids, "only connections of this process (repeatable)"));
    cmd.add_option("--comm", o.comms, "only connections of processes with this command name (repeatable)");
    add_engine_option(cmd, o.engine,
                      "auto (BPF where it loads, else pidfd), bpf (idle times and each connection's own keepalive "
                      "values from a BPF socket iterator) or pidfd (idle times from tcp_info; values through "
                      "pidfd_getfd for the connections whose verdict depends on them)");
}

}  // namespace kt::cli
