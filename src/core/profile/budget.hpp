// What a profile buys: how long a dead peer goes unnoticed, and whether the first keepalive
// probe goes out before each middlebox on the path forgets the connection.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/profile/catalogue.hpp"
#include "core/profile/profile.hpp"

namespace kt {

enum class DetectionLimit {
    probe_count,   // idle + interval x count
    user_timeout,  // TCP_USER_TIMEOUT ends probing (earlier or later than the count would)
    retries,       // unacked data without a user timeout: the kernel's tcp_retries2 backoff
    never,         // keepalive off: an idle dead peer is never noticed
};

struct Detection {
    std::optional<std::uint64_t> ms;  // absent when never, or when only the kernel's retries bound it
    DetectionLimit limited_by = DetectionLimit::probe_count;
};

// A dead peer on an idle connection. With TCP_USER_TIMEOUT set, the keepalive timer
// (net/ipv4/tcp_timer.c, tcp_keepalive_timer) resets the connection at the first firing
// where the idle time has reached the user timeout and at least one probe is out; the
// probe count no longer matters.
Detection idle_peer_detection(const KeepaliveSettings& ka, std::optional<std::uint32_t> user_timeout_ms);

// A dead peer while data is unacknowledged: keepalive sends nothing then, and only
// TCP_USER_TIMEOUT bounds it; otherwise retransmission backoff (about 15 min by default).
Detection unacked_data_detection(std::optional<std::uint32_t> user_timeout_ms);

// Approximate time the default tcp_retries2=15 takes with the 200 ms minimum RTO.
inline constexpr std::uint64_t k_default_retries_timeout_ms = 924'600;

enum class Verdict { beats, loses, not_refreshed };

struct BudgetLine {
    const Middlebox* middlebox = nullptr;
    Verdict verdict = Verdict::beats;
    std::int64_t margin_seconds = 0;  // idle timeout minus the first probe's time; negative when losing
};

// One line per middlebox id in `path` (ids not in the catalogue are skipped: profiles are
// validated against it first).
std::vector<BudgetLine> path_budget(const KeepaliveSettings& ka, std::span<const std::string> path,
                                    std::span<const Middlebox> catalogue);

// True when any middlebox on the path will drop an idle connection despite the profile.
bool budget_loses(std::span<const BudgetLine> lines);

// Holes a profile leaves open, in words ("no user timeout: ..."). Empty for a complete profile.
std::vector<std::string> profile_holes(const Profile& p);

const char* verdict_name(Verdict v);
const char* detection_limit_name(DetectionLimit l);

}  // namespace kt
