#include "core/agent/reconcile_plan.hpp"

#include <algorithm>
#include <map>
#include <unordered_map>

namespace kt {

const char* reconcile_action_name(ReconcileAction a) {
    switch (a) {
        case ReconcileAction::attach: return "attach";
        case ReconcileAction::update: return "update";
        case ReconcileAction::detach: return "detach";
        case ReconcileAction::keep: return "keep";
    }
    return "keep";
}

std::size_t ReconcilePlan::count(ReconcileAction a) const {
    return static_cast<std::size_t>(std::count_if(steps.begin(), steps.end(), [a](const PlanStep& s) { return s.action == a; }));
}

namespace {
// The rule given to the nearest ancestor of `path` that has one, or -1.
int inherited_rule(const std::map<std::string, int, std::less<>>& assigned, std::string_view path) {
    for (auto slash = path.rfind('/'); slash != std::string_view::npos; slash = path.rfind('/')) {
        path = path.substr(0, slash);
        if (auto it = assigned.find(path); it != assigned.end()) return it->second;
    }
    return -1;
}

int action_rank(ReconcileAction a) { return a == ReconcileAction::keep ? 3 : static_cast<int>(a); }

// The rules that match `c`, in policy order.
std::vector<int> matching_rules(const AgentPolicy& policy, const CgroupNode& c) {
    std::vector<int> out;
    for (std::size_t i = 0; i < policy.rules.size(); ++i)
        if (rule_matches(policy.rules[i], c.facts)) out.push_back(static_cast<int>(i));
    return out;
}

std::size_t depth(const CgroupNode* c) { return static_cast<std::size_t>(std::count(c->facts.path.begin(), c->facts.path.end(), '/')); }

// Parents before children, so an ancestor's rule is known when its descendants are seen.
std::vector<const CgroupNode*> parents_first(const std::vector<CgroupNode>& cgroups) {
    std::vector<const CgroupNode*> order;
    order.reserve(cgroups.size());
    for (const auto& c : cgroups) order.push_back(&c);
    std::sort(order.begin(), order.end(), [](const CgroupNode* a, const CgroupNode* b) {
        return depth(a) != depth(b) ? depth(a) < depth(b) : a->facts.path < b->facts.path;
    });
    return order;
}

PlanStep attach_step(const AgentPolicy& policy, const std::vector<const Profile*>& profiles, const CgroupNode& c, int rule,
                     std::uint64_t now_unix) {
    const auto& r = policy.rules[static_cast<std::size_t>(rule)];
    PlanStep step;
    step.action = ReconcileAction::attach;
    step.cgroup = c.absolute_path;
    step.cgroup_id = c.id;
    step.rule = rule;
    step.rule_name = r.name;
    step.apply_existing = r.existing;
    step.request = {profiles[static_cast<std::size_t>(rule)], r.roles, r.override_app, c.absolute_path, c.id, now_unix};
    return step;
}
}  // namespace

std::vector<PlanStep> plan_new_cgroups(const AgentPolicy& policy, const std::vector<const Profile*>& profiles,
                                       const std::vector<CgroupNode>& made, std::map<std::string, int, std::less<>>& assigned,
                                       std::uint64_t now_unix) {
    std::vector<PlanStep> steps;
    for (const CgroupNode* c : parents_first(made)) {
        if (assigned.count(c->facts.path)) continue;  // seen already
        const auto matching = matching_rules(policy, *c);
        if (matching.empty()) continue;
        const int rule = matching.front();
        const bool covered = inherited_rule(assigned, c->facts.path) == rule;
        assigned.emplace(c->facts.path, rule);
        if (!covered) steps.push_back(attach_step(policy, profiles, *c, rule, now_unix));
    }
    return steps;
}

ReconcilePlan plan_reconcile(const AgentPolicy& policy, const std::vector<const Profile*>& profiles,
                             const std::vector<CgroupNode>& cgroups, const std::vector<PinnedCgroup>& pins,
                             std::uint64_t now_unix) {
    ReconcilePlan plan;
    plan.matched_per_rule.assign(policy.rules.size(), 0);

    std::unordered_map<std::uint64_t, const PinnedCgroup*> pin_of;
    for (const auto& p : pins) pin_of[p.config.cgroup_id] = &p;

    auto& assigned = plan.assigned;                  // path -> rule, attached or covered
    std::unordered_map<std::uint64_t, bool> wanted;  // cgroup ids the agent should have pins on
    for (const CgroupNode* c : parents_first(cgroups)) {
        const auto matching = matching_rules(policy, *c);
        if (matching.empty()) continue;
        const int rule = matching.front();
        if (matching.size() > 1) {
            DoubleMatch d{c->absolute_path, {}};
            for (int i : matching) d.rules.push_back(policy.rules[static_cast<std::size_t>(i)].name);
            plan.matched_twice.push_back(std::move(d));
        }
        ++plan.matched_per_rule[static_cast<std::size_t>(rule)];
        const bool covered = inherited_rule(assigned, c->facts.path) == rule;
        assigned.emplace(c->facts.path, rule);
        if (covered) continue;

        const auto& r = policy.rules[static_cast<std::size_t>(rule)];
        PlanStep step = attach_step(policy, profiles, *c, rule, now_unix);
        const auto pin = pin_of.find(c->id);
        if (pin != pin_of.end() && !pin->second->ours) {
            plan.blocked.push_back(c->absolute_path + " (rule " + r.name + "; enforced by hand with profile " +
                                   pin->second->config.profile + ": left alone)");
            continue;
        }
        wanted[c->id] = true;
        if (pin != pin_of.end()) {
            step.apply_existing = false;  // only a newly matched cgroup's open connections
            auto desired = make_enforce_config(step.request);
            step.changes = desired ? enforce_changes(pin->second->config, read_enforce_config(*desired))
                                   : std::vector<std::string>{desired.error().line()};
            step.action = step.changes.empty() ? ReconcileAction::keep : ReconcileAction::update;
        }
        plan.steps.push_back(std::move(step));
    }

    for (const auto& p : pins) {
        if (!p.ours) {
            plan.foreign.push_back(p.config.cgroup_path + " (profile " + p.config.profile + ")");
            continue;
        }
        if (wanted.count(p.config.cgroup_id)) continue;
        PlanStep step;
        step.action = ReconcileAction::detach;
        step.cgroup = p.config.cgroup_path;
        step.cgroup_id = p.config.cgroup_id;
        step.why = !p.cgroup_exists ? "cgroup removed" : "no rule attaches there any more";
        plan.steps.push_back(std::move(step));
    }
    std::stable_sort(plan.steps.begin(), plan.steps.end(),
                     [](const PlanStep& a, const PlanStep& b) { return action_rank(a.action) < action_rank(b.action); });
    return plan;
}

}  // namespace kt
