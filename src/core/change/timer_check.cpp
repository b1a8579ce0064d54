#include "core/change/timer_check.hpp"

#include "core/socket/tcp_state.hpp"
#include "core/text/duration.hpp"

namespace kt {

std::optional<std::string> check_keepalive_timer(std::uint8_t state, DiagTimer timer, std::uint32_t expires_ms,
                                                 const Profile& p, std::uint32_t slack_ms) {
    if (state != static_cast<std::uint8_t>(TcpState::established) || !p.keepalive.enabled) return std::nullopt;
    if (timer == DiagTimer::none) return "no keepalive timer armed";
    if (timer != DiagTimer::keepalive) return std::nullopt;
    // While probing, the timer runs at the interval; otherwise at most the idle from now.
    const std::uint64_t limit_ms = std::uint64_t{std::max(p.keepalive.idle_seconds, p.keepalive.interval_seconds)} * 1000;
    if (expires_ms > limit_ms + slack_ms)
        return "keepalive timer due in " + format_duration_ms(expires_ms) + ", later than the profile's idle of " +
               format_duration_s(p.keepalive.idle_seconds) + " (armed before the values changed)";
    return std::nullopt;
}

}  // namespace kt
