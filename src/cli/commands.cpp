#include "cli/command.hpp"

#include <array>

namespace kt::cli {

std::span<const CommandSpec> command_table() {
    static const std::array<CommandSpec, 13> table = {{
        {"inspect", "list TCP sockets with their keepalive state, role, owner and netns (sock_diag)", setup_inspect},
        {"health", "judge every connection against its path: ok, at-risk, likely-dropped, peer-closed, retransmitting, "
                   "probing, unverified, with owners, roll-ups and advice",
         setup_health},
        {"reap", "close selected connections (by verdict, idle time, address) through SOCK_DESTROY or shutdown()",
         setup_reap},
        {"probe", "measure the idle timeout of the path to a server with keepalive probes alone", setup_probe},
        {"profile", "list, show, validate and check keepalive profiles against middlebox idle timeouts, and render them "
                    "for proxies, platforms and libraries",
         setup_profile},
        {"apply", "put a profile on running processes' sockets, or on a network namespace's defaults", setup_apply},
        {"verify", "check that running sockets carry a profile (exit 0 compliant, 1 drift)", setup_verify},
        {"exec", "run a program with the profile on every listener and upstream socket it opens (LD_PRELOAD)",
         setup_exec, false, "; the command and its arguments go after --: exec PROFILE -- COMMAND [ARG...]"},
        {"enforce", "give every new connection of a cgroup a profile with a pinned BPF sockops program; --list, --remove",
         setup_enforce},
        {"undo", "restore the socket options and sysctls an apply recorded in its undo file", setup_undo},
        {"timewait", "TIME_WAIT by destination and listening port, with port-exhaustion risk and advice", setup_timewait},
        {"audit",
         "read nginx, HAProxy, Envoy and Kubernetes configurations: the keepalive each listener and upstream "
         "gets, and the pitfalls, with fixes",
         setup_audit},
        {"check", "health check for cron, Nagios and Prometheus: TIME_WAIT, port pressure, overflow, compliance",
         setup_check, true},
    }};
    return table;
}

}  // namespace kt::cli
