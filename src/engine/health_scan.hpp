// Gathering connection health for `health`, `reap` and `check`: the options they share, one
// tcp_info dump per network namespace judged socket by socket, roll-ups, and the connections
// that are not ok with their owners.
#pragma once

#include <cstdint>
#include <array>
#include <expected>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/health/health.hpp"
#include "core/health/health_report.hpp"
#include "core/profile/network_path.hpp"
#include "core/socket/inspect_query.hpp"
#include "core/socket/socket_options.hpp"
#include "core/socket/socket_role.hpp"
#include "sys/netns.hpp"

namespace kt::sys {
class SocketIterator;
}

namespace kt::engine {

// The flags of `health` that `reap` and `check` take too.
struct HealthOptions {
    InspectFlags flags;                     // every filter of inspect, and --idle-over/-under
    std::function<bool()> states_given;     // whether --state was on the command line
    std::vector<std::int32_t> pids;         // --pid: only these processes' connections
    std::vector<std::string> comms;         // --comm, repeatable
    std::vector<std::string> path_lists;    // --path, repeatable, comma-separated
    std::string profile;                    // --profile: its path
    std::string paths_file;                 // --paths FILE: per-destination paths
    std::vector<std::string> profile_dirs;  // the global --profile-dir, for --profile
    std::string netns;
    std::int32_t netns_of = 0;
    bool all_netns = false;
    std::string pod;
    std::string container;
    std::size_t top = 10;
    std::string engine = "auto";  // health and reap's --engine; check's health uses tcp_info
};

// A report, and what could not be read along the way.
struct HealthScan {
    HealthReport report;
    std::vector<sys::NetnsTarget> targets;  // parallel to report.netns
    Errors warnings;
    const char* engine = "pidfd";  // "bpf" when idle times and values came from the socket iterator
};

struct HealthRequest {
    const HealthOptions* options = nullptr;
    // The verdicts of the connections kept with full detail (every connection is counted).
    std::uint8_t keep_verdicts = static_cast<std::uint8_t>(~verdict_bit(HealthVerdict::ok));
    bool always_look_up_owners = false;  // reap needs the owner of each kept connection
    bool look_up_owners = true;          // check needs counts only: no /proc scan
    bool count_ports = false;            // check's per-port series
    // An iterator loaded already, used instead of loading one for this scan (the agent keeps
    // one between scans rather than have libbpf read the kernel's BTF every time).
    sys::SocketIterator* iterator = nullptr;
};

// Validates every option (nothing is read from the kernel when one is bad), then scans.
std::expected<HealthScan, Errors> scan_health(const HealthRequest& request);

}  // namespace kt::engine
