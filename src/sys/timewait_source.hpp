// Everything the timewait report reads from one network namespace.
#pragma once

#include <vector>

#include "core/timewait/timewait_report.hpp"
#include "sys/netns.hpp"

namespace kt::sys {

struct TimewaitSample {
    TimewaitTotals totals;
    std::vector<ClientDestination> clients;
    std::vector<ServerPort> servers;
};

// A listener-only dump for roles, a TIME_WAIT-only dump, then the other states toward the
// k_pressure_destinations destinations with the most TIME_WAIT (state mask and bytecode filter
// both in the kernel), plus /proc/net/sockstat, /proc/net/netstat and the sysctls, all
// read inside `ns`.
Result<TimewaitSample> sample_timewait(const NetnsTarget& ns);

}  // namespace kt::sys
