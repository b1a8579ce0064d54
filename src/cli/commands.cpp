#include "cli/command.hpp"

#include <array>

namespace kt::cli {

std::span<const CommandSpec> command_table() {
    static const std::array<CommandSpec, 15> table = {{
        {"inspect", "list TCP sockets with their keepalive state, role, owner and netns (sock_diag)", setup_inspect},
        {"health", "judge every connection against its path: ok, at-risk, likely-dropped, peer-closed, retransmitting, "
                   "probing, unverified, with owners, roll-ups and advice",
         setup_health},
        {"reap", "close selected connections (by verdict, idle time, address) through SOCK_DESTROY or shutdown()",
         setup_reap},
        {"probe", "measure the idle timeout of the path to a server with keepalive probes alone", setup_probe},
        {"trace", "each TCP connection that ends badly, as it ends: keepalive or retransmit timeout, reset received "
                  "or sent, with netns and owner (BPF)",
         setup_trace},
        {"profile", "list, show, validate and check keepalive profiles against middlebox idle timeouts, and render them "
                    "for proxies, platforms and libraries",
         setup_profile},
        {"apply", "put a profile on running processes' sockets, or on a network namespace's defaults", setup_apply},
        {"verify", "check that running sockets carry a profile (exit 0 compliant, 1 drift)", setup_verify},
        {"exec", "run a program with the profile on every listener and upstream socket it opens (LD_PRELOAD)",
         setup_exec, false, "; the command and its arguments go after --: exec PROFILE -- COMMAND [ARG...]"},
        {"enforce", "give every new connection of a cgroup a profile with a pinned BPF sockops program; --list, --remove",
         setup_enforce},
        {"agent",
         "keep the policy's profiles on every matching cgroup while services and pods restart, with /metrics "
         "and /healthz",
         setup_agent},
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

std::string_view exit_status_of(std::string_view command) {
    static const std::array<std::pair<std::string_view, std::string_view>, 14> statuses = {{
        {"inspect", "0 listed (also when nothing matched), 2 usage, input or system error."},
        {"health", "0 nothing likely-dropped, retransmitting or peer-closed; 1 some connection is one of them;\n"
                   "2 usage, input or system error."},
        {"reap", "0 every selected connection closed (or none selected, or --dry-run); 1 some could not be\n"
                 "closed; 2 usage, input or system error, or a selector matching every connection without --all."},
        {"probe", "0 measured; 1 not measured (nothing forgot the flow, the far end closed, or interrupted);\n"
                  "2 usage, input or system error."},
        {"profile", "0 success; 1 check: the profile loses against a middlebox on its path; 2 usage or input error."},
        {"apply", "0 applied (or a dry run); 1 some sockets or sysctls could not be changed (each is all or\n"
                  "nothing, and the undo file records what was); 2 usage, input or system error."},
        {"verify", "0 compliant; 1 drift; 2 usage, input or system error."},
        {"enforce", "0 attached, updated, listed or removed; 2 usage, input or system error."},
        {"agent", "0 stopped by SIGTERM or SIGINT (the pins stay), or --once/--detach done; 1 --once: some change\n"
                  "failed; 2 usage, a bad policy, another agent running, or no BPF (nothing attached)."},
        {"undo", "0 everything restored; 1 some could not be; 2 usage, input or system error."},
        {"timewait", "0 reported; 2 usage, input or system error."},
        {"trace", "0 traced until --duration, --count or SIGINT/SIGTERM; 2 usage or input error, or no BPF (CAP_BPF\n"
                  "and CAP_PERFMON, kernel BTF)."},
        {"check", "0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN, as a Nagios plugin (bad input is UNKNOWN too)."},
        {"exec", "the command's own status (127 not found, 126 not executable); 2 usage or input error."},
    }};
    for (const auto& [name, text] : statuses)
        if (name == command) return text;
    return {};
}

}  // namespace kt::cli
