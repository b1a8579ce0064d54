// Wing core/agent: the agent's desired state and the plan that makes it true. May include
// every wing before it. Pure: the cgroups, the pins and the profiles come in as values.
//
// Desired state: each cgroup gets the first rule that matches it, unless an ancestor already
// has that rule (cgroup programs are inherited, so the ancestor's attachment covers it).
// Actual state: the pins under the bpffs root, the agent's own told apart from others'.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/change/enforce_config.hpp"
#include "core/config/agent_policy.hpp"
#include "core/profile/profile.hpp"

namespace kt {

struct CgroupNode {
    CgroupFacts facts;          // path below the cgroup2 root, pod and container where known
    std::string absolute_path;  // "/sys/fs/cgroup/..."
    std::uint64_t id = 0;       // the directory's inode
};

struct PinnedCgroup {
    EnforcedCgroup config;
    bool cgroup_exists = false;
    bool ours = false;  // made by the agent (its state file says so)
};

enum class ReconcileAction { attach, update, detach, keep };
const char* reconcile_action_name(ReconcileAction a);

struct PlanStep {
    ReconcileAction action = ReconcileAction::keep;
    std::string cgroup;  // absolute path
    std::uint64_t cgroup_id = 0;
    int rule = -1;  // index into the policy's rules; -1 for a detach
    std::string rule_name;
    std::vector<std::string> changes;  // for an update: what changes ("profile a -> b", ...)
    bool apply_existing = false;       // attach: also apply to the connections open now
    std::string why;                   // detach: "cgroup removed", "no rule matches it any more", ...
    EnforceRequest request;            // attach and update: what to pin (profile pointer from the input)
};

struct DoubleMatch {
    std::string cgroup;
    std::vector<std::string> rules;  // the first wins
};

struct ReconcilePlan {
    std::vector<PlanStep> steps;          // attach, update and detach first, in that order; then keep
    std::vector<DoubleMatch> matched_twice;
    std::vector<std::string> foreign;     // pins not the agent's, left alone: "PATH (profile P)"
    std::vector<std::string> blocked;     // cgroups a rule matches that hold another's pins: left alone
    std::vector<std::size_t> matched_per_rule;  // cgroups each rule matches (attached or covered)
    // Each matched cgroup's rule (attached or covered), by path below the cgroup2 root: what
    // plan_new_cgroups decides new cgroups against until the next full plan.
    std::map<std::string, int, std::less<>> assigned;
    std::size_t count(ReconcileAction a) const;
};

// `profiles` is parallel to `policy.rules`. `now_unix` becomes the `since` of what is attached.
ReconcilePlan plan_reconcile(const AgentPolicy& policy, const std::vector<const Profile*>& profiles,
                             const std::vector<CgroupNode>& cgroups, const std::vector<PinnedCgroup>& pins,
                             std::uint64_t now_unix);

// The cgroups just made, decided as plan_reconcile would against what it assigned (`assigned`,
// which gains them): the attach steps, without listing every cgroup and pin again. A new
// directory has no pins yet; anything else waits for the next full plan.
std::vector<PlanStep> plan_new_cgroups(const AgentPolicy& policy, const std::vector<const Profile*>& profiles,
                                       const std::vector<CgroupNode>& made, std::map<std::string, int, std::less<>>& assigned,
                                       std::uint64_t now_unix);

}  // namespace kt
