// The TCP sockets held by target processes, with roles and addresses: the owners from
// /proc/PID/fd, the rest from one sock_diag dump per network namespace involved.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/change/apply_plan.hpp"
#include "core/socket/diag_bytecode.hpp"
#include "core/socket/socket_role.hpp"
#include "core/text/error.hpp"
#include "sys/socket_owners.hpp"

namespace kt::sys {

struct SocketSelection {
    std::uint8_t roles = k_all_roles;
    std::vector<PortRange> ports;  // local or peer port; any may match
    std::vector<Cidr> peers;       // any may match
    bool matches(const SocketRef& s) const;
};

// A socket found, with what sock_diag says of its keepalive timer (for verify).
struct FoundSocket {
    SocketRef ref;
    std::uint8_t timer = 0;
    std::uint32_t expires_ms = 0;
};

// Listeners and connected sockets (not TIME_WAIT, which has no fd) of `pids` that match
// `selection`. Errors: a process whose fds cannot be read, a netns that cannot be entered.
// `owners`: who holds which socket when the caller already knows (the BPF task-file
// iterator); otherwise the targets' /proc/PID/fd are read.
std::expected<std::vector<FoundSocket>, Errors> find_target_sockets(const std::vector<std::int32_t>& pids,
                                                                    const SocketSelection& selection,
                                                                    const std::string& proc_root = "/proc",
                                                                    const SocketOwnerIndex* owners = nullptr);

}  // namespace kt::sys
