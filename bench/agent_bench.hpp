// kt_bench --agent N: the agent's latency from mkdir to attached, its start and a policy change
// over N matched cgroups, and its CPU and RSS beside a population of connections.
#pragma once

#include <string>

namespace kt::bench {

// Prints a Markdown table; returns how many measurements failed.
int bench_agent(const std::string& tool, long cgroups, long connections, int health_seconds);

}  // namespace kt::bench
