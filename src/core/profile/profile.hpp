// Wing core/profile: profiles, the middlebox catalogue, paths, budgets. May include: text, socket.
// Keepalive profiles: what to put on a socket (or a netns's defaults), and what path it is for.
#pragma once

#include <cstdint>
#include <expected>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/profile/catalogue.hpp"
#include "core/text/error.hpp"

namespace kt {

// Kernel limits for the socket options (include/net/tcp.h: MAX_TCP_KEEPIDLE, MAX_TCP_KEEPINTVL,
// MAX_TCP_KEEPCNT); values outside them make setsockopt fail with EINVAL.
inline constexpr std::uint32_t k_keepalive_seconds_min = 1;
inline constexpr std::uint32_t k_keepalive_seconds_max = 32767;
inline constexpr std::uint32_t k_keepalive_count_min = 1;
inline constexpr std::uint32_t k_keepalive_count_max = 127;
inline constexpr std::uint32_t k_user_timeout_ms_max = 2147483647;

// SO_KEEPALIVE, TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT.
struct KeepaliveSettings {
    bool enabled = false;
    std::uint32_t idle_seconds = 7200;
    std::uint32_t interval_seconds = 75;
    std::uint32_t count = 9;
    friend bool operator==(const KeepaliveSettings&, const KeepaliveSettings&) = default;
};

struct Profile {
    std::string name;
    std::string summary;      // one line: what it is for
    std::string description;  // why these values
    KeepaliveSettings keepalive;
    std::optional<std::uint32_t> user_timeout_ms;  // TCP_USER_TIMEOUT; absent = leave the socket's as is
    std::vector<std::string> path;                 // middlebox ids, client to server
    std::string source;                            // the file it was read from
};

// Parses and validates a profile document. Every problem is reported, each naming
// `source`, the JSON path and the allowed values. Path ids are checked against `catalogue`.
std::expected<Profile, Errors> parse_profile(std::string_view text, std::string_view source,
                                             std::span<const Middlebox> catalogue);

// The file stem a profile called `name` must be stored under ("aws-nlb" -> "aws-nlb.json").
std::string profile_file_name(std::string_view name);

// True when `arg` names a file rather than a profile by name.
bool looks_like_profile_path(std::string_view arg);

}  // namespace kt
