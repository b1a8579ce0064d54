// What `inspect` was asked for, validated: what the kernel filters, what user space filters.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/socket/diag_bytecode.hpp"
#include "core/socket/keepalive_observed.hpp"
#include "core/socket/socket_role.hpp"
#include "core/socket/tcp_state.hpp"
#include "core/text/error.hpp"

namespace kt {

// Listening and connected sockets; TIME_WAIT and SYN_RECV are left to `--state all` and
// `timewait`, since on a busy host they outnumber everything else.
inline constexpr StateMask k_default_inspect_states =
    k_all_states & ~(state_bit(TcpState::time_wait) | state_bit(TcpState::syn_recv) |
                     state_bit(TcpState::new_syn_recv) | state_bit(TcpState::close));

// The flags as typed.
struct InspectFlags {
    std::string states;
    bool states_given = false;  // --state '' is an error, not the default set
    std::vector<std::string> sports, dports, ports, peers, locals;
    bool ipv4_only = false;
    bool ipv6_only = false;
    std::string roles;
    std::string keepalive;
    std::string idle_over;   // --idle-over DURATION
    std::string idle_under;  // --idle-under DURATION
};

struct InspectQuery {
    std::uint8_t family = 0;  // 0 both, else AF_INET / AF_INET6
    StateMask states = k_default_inspect_states;
    KernelFilter kernel;
    std::uint8_t roles = k_all_roles;
    KeepaliveFilter keepalive = KeepaliveFilter::any;
    // Idle time (TcpInfo::idle_ms) bounds; a socket without tcp_info (listeners, time-wait)
    // has no idle time and matches neither.
    std::optional<std::uint64_t> idle_over_ms;
    std::optional<std::uint64_t> idle_under_ms;

    // True when the main dump might not carry every listener, so roles need a listener-only
    // dump first (listeners are few and that dump skips the established hash).
    bool needs_listener_pass() const {
        return !(states & state_bit(TcpState::listen)) || !kernel.empty();
    }
    bool keepalive_matches(KeepaliveObserved observed) const;
    bool idle_filtered() const { return idle_over_ms || idle_under_ms; }
    bool idle_matches(const SocketRecord& s) const;
};

// Validates every flag; the first bad one is the error (exit 2, nothing queried).
Result<InspectQuery> build_inspect_query(const InspectFlags& flags);

}  // namespace kt
