// What `health` found, as plain values for the views (text, JSON, Prometheus) and for `check`.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/health/health.hpp"
#include "core/health/health_rollup.hpp"
#include "core/profile/network_path.hpp"
#include "core/socket/container_identity.hpp"
#include "core/socket/socket_options.hpp"
#include "core/socket/socket_role.hpp"

namespace kt {

struct JudgedConnection {
    SocketRecord record;
    SocketRole role = SocketRole::upstream;
    std::string netns;
    HealthJudgement judgement;  // its hop pointer is cleared; `hop` holds a copy
    std::optional<PathHop> hop;
    std::int32_t pid = 0;  // 0: no owner seen
    std::int32_t fd = -1;
    std::string comm;
    std::optional<SocketOptions> exact;
};

struct NetnsHealth {
    std::string label;
    std::uint64_t inode = 0;
    VerdictCounts counts;
    std::optional<PathHop> conntrack;  // this namespace's own conntrack, when it tracks flows
    std::string error;                 // could not be read
    // Accepted connections by TCP state (index = state) per listening port, by port.
    std::vector<std::pair<std::uint16_t, std::array<std::uint64_t, 16>>> ports;
    NetnsIdentity identity = {};  // who lives in it
    // Connections their owner has closed, finishing FIN-WAIT/CLOSING/LAST-ACK with no file:
    // no application holds them, so they are counted here and not judged.
    std::uint64_t orphans = 0;
    // This namespace's connections by destination: "clients of :8080" of two pods are two
    // services, and a Prometheus series per namespace keeps them apart.
    HealthRollup destinations;
};

struct HealthReport {
    NetworkPath path;  // what every connection crosses (--path, --profile), before conntrack
    std::vector<NetnsHealth> netns;
    std::vector<JudgedConnection> connections;  // the kept ones: not ok, for `health`
    HealthRollup rollup;
    bool owners_looked_up = false;
    std::size_t top = 10;
};

}  // namespace kt
