// Everything the timewait report reads from one network namespace.
#pragma once

#include <vector>

#include "core/timewait_report.hpp"
#include "sys/netns.hpp"

namespace kt::sys {

struct TimewaitSample {
    TimewaitTotals totals;
    std::vector<ClientDestination> clients;
    std::vector<ServerPort> servers;
};

// A listener-only dump for roles, then one dump of every state but LISTEN (the kernel's state
// mask does the filtering), plus /proc/net/sockstat, /proc/net/netstat and the sysctls, all
// read inside `ns`.
Result<TimewaitSample> sample_timewait(const NetnsTarget& ns);

}  // namespace kt::sys
