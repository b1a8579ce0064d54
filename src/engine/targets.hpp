// The targets of apply and verify: which processes, and which of their sockets.
#pragma once

#include <string>
#include <vector>

#include "core/text/error.hpp"
#include "engine/socket_engine.hpp"
#include "sys/target_processes.hpp"
#include "sys/target_sockets.hpp"

namespace kt::engine {

struct TargetOptions {
    std::vector<std::int32_t> pids;
    std::vector<std::string> comms;
    std::vector<std::string> cgroups;
    std::string pod;        // --pod NAME: every process in the pod's network namespace
    std::string container;  // --container ID-PREFIX: every process of that container
    std::string roles;
    std::vector<std::string> ports;
    std::vector<std::string> peers;
    std::string engine = "auto";

    bool any_process() const {
        return !pids.empty() || !comms.empty() || !cgroups.empty() || !pod.empty() || !container.empty();
    }
};

// Validates the selection flags (roles, ports, CIDRs).
Result<sys::SocketSelection> socket_selection(const TargetOptions& t);

// Resolves the processes, then their matching sockets. No matching socket is an error unless
// `allow_none` (apply --watch waits for a pool's first connection).
std::expected<std::vector<sys::FoundSocket>, Errors> find_targets(const TargetOptions& t,
                                                                  const sys::SocketSelection& selection,
                                                                  bool allow_none = false);

// The targets, and, for the BPF engine with the accepted role selected, the target processes'
// listeners, whose accept queues hold targets too; one scan of the processes for both.
struct EngineTargets {
    std::vector<sys::FoundSocket> sockets;
    std::vector<sys::FoundSocket> queue_listeners;
};
std::expected<EngineTargets, Errors> find_engine_targets(const TargetOptions& t, const sys::SocketSelection& selection,
                                                         SocketEngine& engine, bool allow_none = false);

// The target processes: --pid, --comm, --cgroup, and the processes of --pod and --container.
std::expected<std::vector<std::int32_t>, Errors> target_pids(const TargetOptions& t);

}  // namespace kt::engine
