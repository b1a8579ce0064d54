// What sock_diag shows of a socket's keepalive: its timer, when it can be seen.
#pragma once

#include <cstdint>
#include <string_view>

#include "core/socket/socket_record.hpp"

namespace kt {

enum class KeepaliveObserved : std::uint8_t {
    armed,           // the keepalive timer is pending: keepalive is on
    off,             // connected, no timer at all: keepalive is off
    hidden,          // a retransmit or zero-window timer takes the slot: keepalive unknown, never "off"
    not_observable,  // listeners never show a keepalive timer (use --exact)
    not_applicable,  // TIME_WAIT, SYN states, orphans: keepalive does not run
};
inline constexpr std::size_t k_keepalive_observed_count = 5;

// inet_sk_diag_fill reports one timer, in this order: retransmit/loss probe, zero-window
// probe, then sk_timer (keepalive); so a keepalive timer is only visible when nothing else
// is pending.
KeepaliveObserved observe_keepalive(const SocketRecord& s);

std::string_view keepalive_observed_name(KeepaliveObserved k);

// --keepalive on|off|unknown
enum class KeepaliveFilter : std::uint8_t { any, on, off, unknown };

}  // namespace kt
