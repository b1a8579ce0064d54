// verify's second look: is the keepalive timer sock_diag shows consistent with the profile?
#pragma once

#include <optional>
#include <string>

#include "core/profile/profile.hpp"
#include "core/socket/socket_record.hpp"

namespace kt {

// For an established socket: a finding when keepalive should run but no timer is armed, or
// the timer is due later than the profile's idle (it was armed before the values changed
// and fires once at the old time). Nothing when the timer is hidden by a retransmit or
// zero-window timer, or for other states. `slack_ms` absorbs the HZ granularity.
std::optional<std::string> check_keepalive_timer(std::uint8_t state, DiagTimer timer, std::uint32_t expires_ms,
                                                 const Profile& p, std::uint32_t slack_ms = 1000);

}  // namespace kt
