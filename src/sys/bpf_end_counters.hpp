// The counting programs of `trace --install-counters`: the trace programs loaded to count each
// connection's end by namespace, reason and destination, their links and maps pinned under
// the pin root, so that they keep counting after the loader exits and `check` (from cron) and
// the agent read what ended between their runs.
#pragma once

#include <optional>
#include <string>

#include "core/text/error.hpp"
#include "core/trace/end_counts.hpp"

namespace kt::sys {

// Where they are pinned: k_pin_root/connection-ends.
std::string end_counters_dir();

struct CountersInstalled {
    bool already = false;        // they were there: nothing changed
    bool mounted_bpffs = false;  // /sys/fs/bpf was not a bpffs and was mounted
};
// Loads, attaches and pins them. All or nothing: a failure leaves no pin.
Result<CountersInstalled> install_end_counters();

// Unpins them (the programs detach with the last pin). False when none were installed.
Result<bool> remove_end_counters();

// What they have counted since they were installed; nullopt when they are not installed.
Result<std::optional<EndCounters>> read_end_counters();

}  // namespace kt::sys
