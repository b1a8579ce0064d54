// What `check --state-file` keeps between runs, so counters since boot become deltas per interval.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "core/text/error.hpp"
#include "core/timewait/check_policy.hpp"

namespace kt {

using CounterMap = std::map<std::string, std::uint64_t, std::less<>>;

struct CheckState {
    std::string boot_id;   // /proc/sys/kernel/random/boot_id: a reboot starts a new baseline
    std::int64_t time_ms = 0;  // unix time of the run that wrote it, in milliseconds
    std::map<std::string, CounterMap, std::less<>> netns;  // by netns label
};

Result<CheckState> parse_check_state(std::string_view text, std::string_view source);
std::string check_state_text(const CheckState& s);

// The movement of `netns`'s counters from `previous` to `now`, or why there is none: no
// previous run, a reboot (boot id changed), a netns not seen before, a clock that went back,
// or a counter that went backwards (a recreated netns, a counter reset). `baseline` names the
// reason when the result is empty.
std::optional<IntervalDelta> interval_delta(const CheckState* previous, const CheckState& now, std::string_view netns,
                                            std::string& baseline);

}  // namespace kt
