// Wing core/change: plans and records of changes to sockets and programs. May include the wings up to profile.
// Plans for putting a profile on sockets: what each socket has, what it should have, and
// the exact sequence of setsockopt calls that gets it there without a probe burst.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/profile/profile.hpp"
#include "core/socket/socket_options.hpp"
#include "core/socket/socket_record.hpp"
#include "core/socket/socket_role.hpp"

namespace kt {

enum class SocketOption : std::uint8_t { keepalive, idle, interval, count, user_timeout };
const char* socket_option_name(SocketOption o);

struct OptionWrite {
    SocketOption option = SocketOption::keepalive;
    std::uint32_t value = 0;
    friend auto operator<=>(const OptionWrite&, const OptionWrite&) = default;
};

// A socket held by a process: where to reach it and what it is.
struct SocketRef {
    std::int32_t pid = 0;
    std::int32_t fd = 0;
    std::uint32_t inode = 0;
    SocketRole role = SocketRole::upstream;
    std::uint8_t state = 0;
    Endpoint local;
    Endpoint peer;
};

// The values a profile asks for, as socket options.
SocketOptions profile_options(const Profile& p, const SocketOptions& before);

// The setsockopt calls, in order. Values go first and SO_KEEPALIVE last: enabling keepalive
// arms the timer one full idle from now. When keepalive is already on, a new TCP_KEEPIDLE
// re-arms the timer against the time the connection has ALREADY been idle
// (tcp_sock_set_keepidle_locked), so a long-idle connection would probe at once; turning
// SO_KEEPALIVE off first (which deletes the timer) and on last avoids that burst.
// Listeners have no timer, so they need no toggle.
std::vector<OptionWrite> apply_sequence(const SocketOptions& before, const Profile& p, bool listener);

// The calls that put `before` back after the first `done` writes of `sequence` went through:
// values first, SO_KEEPALIVE last, only the options that were written.
std::vector<OptionWrite> rollback_sequence(const SocketOptions& before, const std::vector<OptionWrite>& sequence,
                                           std::size_t done);

// The calls that take a socket from `current` to `target` in the same burst-free order (used
// by apply once planned, and by undo to put recorded values back).
std::vector<OptionWrite> write_sequence(const SocketOptions& current, const SocketOptions& target, bool listener);

enum class PlanAction : std::uint8_t { change, compliant };

struct PlanItem {
    SocketRef socket;
    SocketOptions before;
    SocketOptions after;
    PlanAction action = PlanAction::compliant;
    // The options the plan changes, a bit each (k_drift_*): planning half a million sockets
    // would otherwise spend more on their texts than on the kernel's work. drift_texts()
    // makes the texts for output; undo's restores leave it 0.
    std::uint8_t drift = 0;
};
inline constexpr std::uint8_t k_drift_keepalive = 1, k_drift_idle = 2, k_drift_interval = 4, k_drift_count = 8,
                              k_drift_user_timeout = 16;

// The options that differ between two sets of values, as k_drift_* bits.
std::uint8_t drift_between(const SocketOptions& have, const SocketOptions& want);
// The item's drift as "idle_seconds 7200 -> 60", one text per option.
std::vector<std::string> drift_texts(const PlanItem& item);
// The same texts appended to `to`, each after ", " when `to` is not empty (tables of half a
// million sockets).
void append_drift_text(std::string& to, const PlanItem& item);

PlanItem plan_socket(const SocketRef& s, const SocketOptions& before, const Profile& p);

}  // namespace kt
