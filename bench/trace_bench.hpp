// kt_bench --trace S: trace's cost to a host churning connections, and the ends per second it
// delivers to user space, each beside the same churn with nothing tracing.
#pragma once

#include <string>

namespace kt::bench {

// Prints Markdown tables; returns how many measurements failed.
int bench_trace(const std::string& tool, int seconds, int runs);

}  // namespace kt::bench
