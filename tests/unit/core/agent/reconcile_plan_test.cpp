#include "core/agent/reconcile_plan.hpp"

#include <gtest/gtest.h>

#include "core/agent/agent_status.hpp"
#include "core/socket/socket_role.hpp"

namespace kt {
namespace {

const std::string k_root = "/sys/fs/cgroup";

CgroupNode node(const std::string& path, std::uint64_t id, const std::string& pod = "", const std::string& container = "") {
    return {{path, pod, container}, k_root + "/" + path, id};
}

Profile profile(const std::string& name, std::uint32_t idle) {
    Profile p;
    p.name = name;
    p.keepalive = {true, idle, 10, 3};
    return p;
}

PolicyMatch on_cgroup(std::string glob) { return {std::move(glob), "", "", ""}; }
PolicyMatch on_unit(std::string glob) { return {"", std::move(glob), "", ""}; }
PolicyMatch on_pod(std::string glob, std::string container = "") { return {"", "", std::move(glob), std::move(container)}; }

PolicyRule rule(const std::string& name, PolicyMatch m, bool existing = true) {
    PolicyRule r;
    r.name = name;
    r.profile = name;
    r.match = std::move(m);
    r.existing = existing;
    return r;
}

// A pin as enforce would have left it for `profile` on `node`.
PinnedCgroup pinned(const CgroupNode& n, const Profile& p, bool ours, bool exists = true) {
    auto c = make_enforce_config({&p, k_all_roles, false, n.absolute_path, n.id, 1700000000});
    EXPECT_TRUE(c.has_value());
    return {read_enforce_config(*c), exists, ours};
}

const PlanStep* step_for(const ReconcilePlan& p, const std::string& path) {
    for (const auto& s : p.steps)
        if (s.cgroup == k_root + "/" + path) return &s;
    return nullptr;
}

struct Fixture {
    AgentPolicy policy;
    std::vector<Profile> profiles;
    ReconcilePlan plan(const std::vector<CgroupNode>& cgroups, const std::vector<PinnedCgroup>& pins = {}) {
        std::vector<const Profile*> ptrs;
        for (const auto& p : profiles) ptrs.push_back(&p);
        return plan_reconcile(policy, ptrs, cgroups, pins, 1800000000);
    }
};

TEST(ReconcilePlanTest, EachMatchingCgroupIsAttachedWithTheFirstRuleAndDoubleMatchesAreReported) {
    Fixture f;
    f.policy.rules = {rule("gateways", on_unit("nginx.service")), rule("all", on_cgroup("system.slice/*"), false)};
    f.profiles = {profile("aws-nlb", 240), profile("linux-default", 7200)};
    const auto p = f.plan({node("system.slice", 1), node("system.slice/nginx.service", 2), node("system.slice/redis.service", 3),
                           node("user.slice", 4)});
    ASSERT_EQ(p.steps.size(), 2u);
    const auto* nginx = step_for(p, "system.slice/nginx.service");
    ASSERT_NE(nginx, nullptr);
    EXPECT_EQ(nginx->action, ReconcileAction::attach);
    EXPECT_EQ(nginx->rule_name, "gateways");
    EXPECT_TRUE(nginx->apply_existing);
    EXPECT_EQ(nginx->request.profile->name, "aws-nlb");
    EXPECT_EQ(nginx->request.since_unix, 1800000000u);
    const auto* redis = step_for(p, "system.slice/redis.service");
    ASSERT_NE(redis, nullptr);
    EXPECT_EQ(redis->rule_name, "all");
    EXPECT_FALSE(redis->apply_existing);
    ASSERT_EQ(p.matched_twice.size(), 1u);
    EXPECT_EQ(p.matched_twice[0].cgroup, k_root + "/system.slice/nginx.service");
    EXPECT_EQ(p.matched_twice[0].rules, (std::vector<std::string>{"gateways", "all"}));
    EXPECT_EQ(p.matched_per_rule, (std::vector<std::size_t>{1, 1}));
    EXPECT_EQ(p.count(ReconcileAction::attach), 2u);
}

TEST(ReconcilePlanTest, APodRuleAttachesToThePodCgroupWhichCoversItsContainers) {
    Fixture f;
    f.policy.rules = {rule("ingress", on_pod("ingress-nginx/ingress-*"))};
    f.profiles = {profile("aws-nlb", 240)};
    const std::string pod = "kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-podu.slice";
    const auto p = f.plan({node(pod + "/cri-containerd-b.scope", 12, "ingress-nginx/ingress-1", "controller"),
                           node(pod, 10, "ingress-nginx/ingress-1"),
                           node(pod + "/cri-containerd-a.scope", 11, "ingress-nginx/ingress-1", "pause"),
                           node("kubepods.slice/other", 20, "default/web-1")});
    ASSERT_EQ(p.steps.size(), 1u);
    EXPECT_EQ(p.steps[0].cgroup, k_root + "/" + pod);
    EXPECT_EQ(p.steps[0].action, ReconcileAction::attach);
    EXPECT_EQ(p.matched_per_rule[0], 3u);  // the pod and its two containers
}

TEST(ReconcilePlanTest, AContainerRuleBeforeAPodRuleAttachesInsideAndTheInnermostWins) {
    Fixture f;
    f.policy.rules = {rule("controller", on_pod("*/*", "controller")), rule("pods", on_pod("*/*"))};
    f.profiles = {profile("aws-nlb", 240), profile("linux-default", 7200)};
    const auto p = f.plan({node("k/pod", 10, "ns/a"), node("k/pod/c1", 11, "ns/a", "controller"), node("k/pod/c2", 12, "ns/a", "sidecar")});
    ASSERT_EQ(p.steps.size(), 2u);
    EXPECT_EQ(step_for(p, "k/pod")->rule_name, "pods");
    EXPECT_EQ(step_for(p, "k/pod/c1")->rule_name, "controller");
    EXPECT_EQ(step_for(p, "k/pod/c2"), nullptr);  // covered by the pod's
    ASSERT_EQ(p.matched_twice.size(), 1u);  // c1: both rules
}

TEST(ReconcilePlanTest, ThePinsTheAgentMadeAreKeptUpdatedOrDetached) {
    Fixture f;
    f.policy.rules = {rule("svc", on_cgroup("svc-*"))};
    f.profiles = {profile("aws-nlb", 240)};
    const auto same = node("svc-same", 1), changed = node("svc-changed", 2), unmatched = node("other", 3);
    const auto gone = node("svc-gone", 4);
    const Profile old = profile("gcp-cloud-nat", 60);
    const auto p = f.plan({same, changed, unmatched},
                          {pinned(same, f.profiles[0], true), pinned(changed, old, true), pinned(unmatched, old, true),
                           pinned(gone, f.profiles[0], true, false)});
    EXPECT_EQ(step_for(p, "svc-same")->action, ReconcileAction::keep);
    const auto* update = step_for(p, "svc-changed");
    EXPECT_EQ(update->action, ReconcileAction::update);
    ASSERT_FALSE(update->changes.empty());
    EXPECT_EQ(update->changes[0], "profile gcp-cloud-nat -> aws-nlb");
    EXPECT_FALSE(update->apply_existing);  // only a newly matched cgroup's open connections
    EXPECT_EQ(step_for(p, "other")->action, ReconcileAction::detach);
    EXPECT_EQ(step_for(p, "other")->why, "no rule attaches there any more");
    EXPECT_EQ(step_for(p, "svc-gone")->action, ReconcileAction::detach);
    EXPECT_EQ(step_for(p, "svc-gone")->why, "cgroup removed");
    // Changes first, in the order attach, update, detach; what stays last.
    EXPECT_EQ(p.steps.front().action, ReconcileAction::update);
    EXPECT_EQ(p.steps.back().action, ReconcileAction::keep);
}

TEST(ReconcilePlanTest, PinsMadeByHandAreLeftAloneAndReported) {
    Fixture f;
    f.policy.rules = {rule("svc", on_cgroup("svc-*"))};
    f.profiles = {profile("aws-nlb", 240)};
    const auto mine = node("svc-a", 1), theirs = node("manual", 2), contested = node("svc-b", 3);
    const Profile other = profile("websocket", 30);
    const auto p = f.plan({mine, theirs, contested}, {pinned(theirs, other, false), pinned(contested, other, false)});
    EXPECT_EQ(step_for(p, "svc-a")->action, ReconcileAction::attach);
    EXPECT_EQ(step_for(p, "manual"), nullptr);
    EXPECT_EQ(step_for(p, "svc-b"), nullptr);
    EXPECT_EQ(p.foreign.size(), 2u);
    ASSERT_EQ(p.blocked.size(), 1u);
    EXPECT_NE(p.blocked[0].find("svc-b (rule svc; enforced by hand with profile websocket"), std::string::npos);
}

TEST(ReconcilePlanTest, ACgroupMadeAgainIsANewAttachAndTheOldPinIsDetached) {
    Fixture f;
    f.policy.rules = {rule("svc", on_unit("nginx.service"))};
    f.profiles = {profile("aws-nlb", 240)};
    const auto before = node("system.slice/nginx.service", 100);
    const auto after = node("system.slice/nginx.service", 101);  // same path, new directory
    const auto p = f.plan({after}, {pinned(before, f.profiles[0], true, false)});
    ASSERT_EQ(p.steps.size(), 2u);
    EXPECT_EQ(p.steps[0].action, ReconcileAction::attach);
    EXPECT_EQ(p.steps[0].cgroup_id, 101u);
    EXPECT_EQ(p.steps[1].action, ReconcileAction::detach);
    EXPECT_EQ(p.steps[1].cgroup_id, 100u);
}

TEST(ReconcilePlanTest, CgroupsJustMadeAreDecidedAgainstWhatTheLastPlanAssigned) {
    Fixture f;
    f.policy.rules = {rule("pods", on_pod("shop/*")), rule("svc", on_unit("*.service"))};
    f.profiles = {profile("aws-nlb", 240), profile("linux-default", 7200)};
    auto assigned = f.plan({node("k/pod", 10, "shop/web-1"), node("system.slice", 1)}).assigned;
    ASSERT_EQ(assigned.count("k/pod"), 1u);
    std::vector<const Profile*> ptrs{&f.profiles[0], &f.profiles[1]};
    // A container of a pod already attached is covered; a new unit and a new pod are attached.
    const auto steps = plan_new_cgroups(f.policy, ptrs,
                                        {node("k/pod/c1", 11, "shop/web-1", "app"), node("system.slice/nginx.service", 2),
                                         node("k/pod2", 20, "shop/web-2"), node("user.slice", 3)},
                                        assigned, 1800000000);
    ASSERT_EQ(steps.size(), 2u);
    EXPECT_EQ(steps[0].cgroup, k_root + "/k/pod2");
    EXPECT_EQ(steps[0].rule_name, "pods");
    EXPECT_EQ(steps[1].cgroup, k_root + "/system.slice/nginx.service");
    EXPECT_EQ(steps[1].rule_name, "svc");
    EXPECT_EQ(steps[1].action, ReconcileAction::attach);
    EXPECT_EQ(assigned.count("k/pod/c1"), 1u);
    // Seen once: the same directories again change nothing.
    EXPECT_TRUE(plan_new_cgroups(f.policy, ptrs, {node("k/pod2", 20, "shop/web-2")}, assigned, 1800000000).empty());
}

TEST(AgentStatusTest, HealthzSaysWhyAndTheHistogramIsCumulative) {
    AgentStatus s;
    EXPECT_EQ(unhealthy_reason(s), "");
    s.observe_reconcile(0.003, 10);
    s.observe_reconcile(0.2, 11);
    EXPECT_EQ(s.reconcile_buckets[0], 1u);  // <= 5 ms
    EXPECT_EQ(s.reconcile_buckets[5], 2u);  // <= 250 ms
    EXPECT_EQ(s.reconciles, 2u);
    EXPECT_EQ(s.last_reconcile_unix, 11);
    s.policy_ok = false;
    s.policy_error = "policy.yaml:3:5: unknown key";
    s.reconcile_ok = false;
    s.reconcile_error = "attach x: EPERM";
    EXPECT_EQ(unhealthy_reason(s),
              "policy rejected (the last good one is in force): policy.yaml:3:5: unknown key; reconcile failing: attach x: EPERM");
}

}  // namespace
}  // namespace kt
