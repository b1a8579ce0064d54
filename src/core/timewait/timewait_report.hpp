// The timewait report of one network namespace: totals, groups and the advice they support.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/socket/container_identity.hpp"
#include "core/timewait/timewait.hpp"

namespace kt {

struct TimewaitTotals {
    std::uint64_t time_wait = 0;                 // from the TIME_WAIT-only dump
    std::optional<std::uint64_t> sockstat_tw;    // /proc/net/sockstat, the cross-check
    std::optional<std::int64_t> max_tw_buckets;  // net.ipv4.tcp_max_tw_buckets
    std::optional<std::int64_t> tw_reuse;        // net.ipv4.tcp_tw_reuse
    std::optional<PortRange> port_range;         // net.ipv4.ip_local_port_range
    std::map<std::string, std::uint64_t, std::less<>> counters;  // TcpExt TW, TWRecycled, TWKilled, TCPTimeWaitOverflow

    std::uint32_t port_range_size() const { return port_range ? std::uint32_t{port_range->hi} - port_range->lo + 1 : 0; }
    std::optional<double> bucket_share() const;
};

struct Advice {
    std::string action;    // what to do
    std::string evidence;  // the numbers that call for it
};

struct TimewaitReport {
    std::string netns;
    TimewaitTotals totals;
    TopN<ClientDestination> clients;
    TopN<ServerPort> servers;
    double worst_port_pressure = 0;  // over every client destination, not only the top N
    std::optional<ClientDestination> worst_destination;  // the one with that pressure
    std::vector<Advice> advice;
    NetnsIdentity identity = {};  // who lives in the namespace
};

// What tcp_tw_reuse's value means ("2: loopback only (default)").
std::string tw_reuse_meaning(std::int64_t value);

// Thresholds at which advice is given: TIME_WAIT toward one destination or on one port that
// means steady churn (100 = about 1.7 new connections a second), and port pressure.
inline constexpr std::uint64_t k_churn_time_wait = 100;
inline constexpr double k_pressure_advice = 0.5;

TimewaitReport build_timewait_report(std::string netns, TimewaitTotals totals, std::vector<ClientDestination> clients,
                                     std::vector<ServerPort> servers, std::size_t top);

}  // namespace kt
