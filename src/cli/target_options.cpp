#include "cli/target_options.hpp"

#include "cli/engine_option.hpp"
#include "cli/number_option.hpp"

namespace kt::cli {

void add_target_options(CLI::App& cmd, engine::TargetOptions& t) {
    as_pid(cmd.add_option("--pid", t.pids, "target process (repeatable)"));
    cmd.add_option("--comm", t.comms, "every process with this command name (repeatable)");
    cmd.add_option("--cgroup", t.cgroups,
                   "every process of a cgroup v2 directory and its children, e.g. system.slice/nginx.service (repeatable)");
    cmd.add_option("--role", t.roles, "listener, accepted, upstream, comma-separated (default: all three)");
    cmd.add_option("--port", t.ports, "only sockets with this local or peer port or LO-HI range (repeatable)");
    cmd.add_option("--peer", t.peers, "only sockets whose peer is in this address or CIDR (repeatable)");
    add_engine_option(cmd, t.engine);
}

void add_container_target_options(CLI::App& cmd, engine::TargetOptions& t) {
    cmd.add_option("--pod", t.pod,
                   "every process of the Kubernetes pod NAME or NAMESPACE/NAME (its network namespace), or of the "
                   "processes with hostname NAME")
        ->type_name("NAME");
    cmd.add_option("--container", t.container, "every process of the container whose id starts with ID-PREFIX")
        ->type_name("ID-PREFIX");
}

}  // namespace kt::cli
