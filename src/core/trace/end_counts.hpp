// Wing core/trace: how connections end. May include: text, socket, profile.
// The counting programs' totals (trace --install-counters), read back from their maps, and
// what `check` and the agent report of them: every reason for each namespace chosen, zeros
// included, so that a series exists before its first end; and the destinations that ended
// badly most often.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/socket/socket_record.hpp"
#include "core/trace/connection_end.hpp"

namespace kt {

inline constexpr std::size_t k_end_reason_count = 6;

// One entry of each map, as the kernel counted it.
struct EndCount {
    std::uint32_t netns_inode = 0;
    EndReason reason = EndReason::closed;
    std::uint64_t count = 0;
};
struct EndDestinationCount {
    std::uint32_t netns_inode = 0;
    EndReason reason = EndReason::closed;
    Endpoint peer;
    std::uint64_t count = 0;
};
struct EndCounters {
    std::vector<EndCount> totals;
    std::vector<EndDestinationCount> destinations;
};

// A namespace chosen for the report: its inode and the label inspect gives it.
struct ChosenNetns {
    std::uint32_t inode = 0;
    std::string label;
};

struct EndCountsReport {
    struct Netns {
        std::string label;
        std::array<std::uint64_t, k_end_reason_count> by_reason{};  // indexed by EndReason
    };
    struct Destination {
        std::string netns;
        EndReason reason = EndReason::closed;
        std::string destination;  // "10.0.0.9:5432"
        std::uint64_t count = 0;
    };
    std::vector<Netns> netns;               // in the order chosen
    std::vector<Destination> destinations;  // the `top` largest, largest first
};

// The counts of the chosen namespaces only; a reason number the build does not know (a newer
// program) is left out.
EndCountsReport end_counts_report(const EndCounters& counters, std::span<const ChosenNetns> chosen, std::size_t top);

}  // namespace kt
