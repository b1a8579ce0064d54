// TCP states as the kernel numbers them (include/net/tcp_states.h) and as ss(8) names them.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "core/text/error.hpp"

namespace kt {

enum class TcpState : std::uint8_t {
    established = 1,
    syn_sent = 2,
    syn_recv = 3,
    fin_wait1 = 4,
    fin_wait2 = 5,
    time_wait = 6,
    close = 7,
    close_wait = 8,
    last_ack = 9,
    listen = 10,
    closing = 11,
    new_syn_recv = 12,
};
inline constexpr std::uint8_t k_tcp_state_max = 12;

// A set of states, as the kernel's idiag_states mask (bit N = state N).
using StateMask = std::uint32_t;
inline constexpr StateMask state_bit(TcpState s) { return StateMask{1} << static_cast<unsigned>(s); }
inline constexpr StateMask k_all_states = 0x1ffe;  // states 1..12

// ss's name ("established", "time-wait", "listening", ...); "unknown" outside 1..12.
std::string_view tcp_state_name(std::uint8_t state);
// The inverse of tcp_state_name for one state ("established" -> 1); nullopt for anything else.
std::optional<std::uint8_t> tcp_state_from_name(std::string_view name);

// Parses a comma-separated list of ss state names, plus ss's groups ("all", "connected",
// "synchronized", "bucket", "big") and "listen" for "listening". Errors name the bad word
// and suggest the nearest name.
Result<StateMask> parse_state_list(std::string_view list);

}  // namespace kt
