// The middleboxes a connection crosses, as `health` and `reap` judge it: catalogue ids, ad-hoc
// entries (NAME=DURATION), per-destination paths from a file, and the host's own conntrack.
#pragma once

#include <cstdint>
#include <expected>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/profile/catalogue.hpp"
#include "core/socket/diag_bytecode.hpp"
#include "core/text/error.hpp"

namespace kt {

struct PathHop {
    std::string name;  // a catalogue id, an ad-hoc NAME, or "host-conntrack"
    std::uint64_t idle_timeout_ms = 0;
    bool refreshed_by_keepalive = true;  // ad-hoc entries are assumed to be
};
using NetworkPath = std::vector<PathHop>;

// "aws-nlb-tcp,corp-fw=1800s". Every problem is reported, unknown ids with the nearest id;
// `flag` prefixes each ("--path corp-fw=soon").
std::expected<NetworkPath, Errors> parse_path_list(std::string_view list, std::string_view flag,
                                                   std::span<const Middlebox> catalogue);

// The path of a profile (ids it was validated against).
NetworkPath path_of_ids(std::span<const std::string> ids, std::span<const Middlebox> catalogue);

struct PathRule {
    Cidr peers;
    NetworkPath path;
};

// {"paths": [{"cidr": "10.0.0.0/8", "path": ["aws-nlb-tcp", "corp-fw=1800s"]}, ...]}, checked
// like a profile: every problem with `source` and the JSON path.
std::expected<std::vector<PathRule>, Errors> parse_paths_file(std::string_view text, std::string_view source,
                                                              std::span<const Middlebox> catalogue);

// The most specific rule whose CIDR holds `peer`, or nullptr.
const PathRule* match_path(std::span<const PathRule> rules, const IpAddress& peer);

}  // namespace kt
