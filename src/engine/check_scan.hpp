// What `check` and the agent's /metrics report, gathered in one place: the TIME_WAIT report and
// the connection verdicts of the chosen namespaces, and the cgroups enforce has pinned.
#pragma once

#include <memory>

#include "core/timewait/check_policy.hpp"
#include "engine/health_scan.hpp"
#include "engine/timewait_reports.hpp"

namespace kt::engine {

struct CheckScan {
    CheckInput input;  // input.health points into `health`
    std::unique_ptr<HealthScan> health;
    Errors warnings;
};

// `health` names the namespaces (netns, all_netns, pod, container), the paths and --top; the
// connections are counted, never listed, and no owner is looked up.
// `iterator`: a BPF socket iterator loaded already, or null to load one (or fall back).
std::expected<CheckScan, Errors> scan_for_check(const HealthOptions& health, sys::SocketIterator* iterator = nullptr);

}  // namespace kt::engine
