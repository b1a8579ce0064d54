#include "core/socket/keepalive_observed.hpp"

#include <array>

#include "core/socket/tcp_state.hpp"

namespace kt {

KeepaliveObserved observe_keepalive(const SocketRecord& s) {
    switch (static_cast<TcpState>(s.state)) {
        case TcpState::listen: return KeepaliveObserved::not_observable;
        case TcpState::time_wait:
        case TcpState::syn_sent:
        case TcpState::syn_recv:
        case TcpState::new_syn_recv:
        case TcpState::close: return KeepaliveObserved::not_applicable;
        default: break;
    }
    switch (s.timer) {
        case DiagTimer::keepalive: return KeepaliveObserved::armed;
        case DiagTimer::none: return KeepaliveObserved::off;
        case DiagTimer::retransmit:
        case DiagTimer::zero_window: return KeepaliveObserved::hidden;
        case DiagTimer::time_wait: return KeepaliveObserved::not_applicable;  // orphaned FIN_WAIT2
    }
    return KeepaliveObserved::hidden;
}

std::string_view keepalive_observed_name(KeepaliveObserved k) {
    static constexpr std::array<std::string_view, k_keepalive_observed_count> names = {
        "armed", "off", "unknown", "not-observable", "-"};
    return names[static_cast<std::size_t>(k)];
}

}  // namespace kt
