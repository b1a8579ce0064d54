// Counts for `inspect --summary`: by state, by role, and keepalive among established sockets.
#pragma once

#include <array>
#include <cstdint>

#include "core/socket/keepalive_observed.hpp"
#include "core/socket/socket_record.hpp"
#include "core/socket/socket_role.hpp"
#include "core/socket/tcp_state.hpp"

namespace kt {

struct InspectSummary {
    std::uint64_t total = 0;
    std::array<std::uint64_t, k_tcp_state_max + 1> by_state{};
    std::array<std::uint64_t, k_role_count> by_role{};
    // Established sockets only: armed, off, unknown (hidden by another timer).
    std::uint64_t established_armed = 0;
    std::uint64_t established_off = 0;
    std::uint64_t established_unknown = 0;

    void add(const SocketRecord& s, SocketRole role, KeepaliveObserved ka) {
        ++total;
        if (s.state <= k_tcp_state_max) ++by_state[s.state];
        ++by_role[static_cast<std::size_t>(role)];
        if (s.state == static_cast<std::uint8_t>(TcpState::established)) {
            if (ka == KeepaliveObserved::armed)
                ++established_armed;
            else if (ka == KeepaliveObserved::off)
                ++established_off;
            else
                ++established_unknown;
        }
    }
};

}  // namespace kt
