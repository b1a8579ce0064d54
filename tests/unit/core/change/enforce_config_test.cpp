#include "core/change/enforce_config.hpp"

#include <gtest/gtest.h>

namespace kt {
namespace {

TEST(EnforceConfigTest, TheUnifiedLineOfProcCgroupIsTheCgroupV2Directory) {
    EXPECT_EQ(unified_cgroup_path("12:pids:/docker/abc\n1:name=systemd:/x\n0::/kubepods.slice/a.scope\n"),
              "/kubepods.slice/a.scope");
    EXPECT_EQ(unified_cgroup_path("0::/\n"), "/");
    EXPECT_EQ(unified_cgroup_path("3:cpu:/x\n"), "");
}

TEST(EnforceConfigTest, APodsCgroupIsItsPodDirectoryOrWhatHoldsAllItsProcesses) {
    const std::string uid = "7d1c2b3a-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
    const std::string slice = "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod7d1c2b3a_4e5f_4a6b_8c7d_9e0f1a2b3c4d.slice";
    EXPECT_EQ(pod_cgroup({slice + "/cri-containerd-aa.scope", slice + "/cri-containerd-bb.scope"}, uid), slice);
    EXPECT_EQ(pod_cgroup({"/kubepods/burstable/pod" + uid + "/cc"}, uid), "/kubepods/burstable/pod" + uid);
    // No pod UID in the path: the deepest common directory, by whole components.
    EXPECT_EQ(pod_cgroup({"/a/bc/x", "/a/bd/y"}, ""), "/a");
    EXPECT_EQ(pod_cgroup({"/a/b/x", "/a/b/x"}, ""), "/a/b/x");
    EXPECT_EQ(pod_cgroup({"/a", "/b"}, ""), "/");
    EXPECT_EQ(pod_cgroup({}, uid), "");
}

TEST(EnforceConfigTest, NamesThatDoNotFitThePinnedMapAreRefused) {
    Profile p;
    p.name = std::string(64, 'p');
    EXPECT_FALSE(make_enforce_config({&p, 7, false, "/sys/fs/cgroup/x", 1, 0}).has_value());
    p.name = "aws-nlb";
    p.keepalive = {true, 240, 30, 4};
    p.user_timeout_ms = 360000;
    auto c = make_enforce_config({&p, 7, true, "/sys/fs/cgroup/x", 42, 1700000000});
    ASSERT_TRUE(c.has_value());
    const auto back = read_enforce_config(*c);
    EXPECT_EQ(back.profile, "aws-nlb");
    EXPECT_EQ(back.cgroup_path, "/sys/fs/cgroup/x");
    EXPECT_EQ(back.cgroup_id, 42u);
    EXPECT_EQ(back.roles, 7);
    EXPECT_TRUE(back.override_app);
    EXPECT_EQ(back.idle_seconds, 240u);
    EXPECT_EQ(back.user_timeout_ms, 360000u);
    EXPECT_FALSE(make_enforce_config({&p, 7, false, "/" + std::string(300, 'c'), 1, 0}).has_value());
    EXPECT_EQ(back.level, 4u) << "the depth the deeper profile wins by";
}

// Nested enforcement: the deeper directory wins, and "inside" is by whole path components.
TEST(EnforceConfigTest, CgroupDepthAndNestingAreByWholeComponents) {
    EXPECT_EQ(cgroup_level("/sys/fs/cgroup"), 3u);
    EXPECT_EQ(cgroup_level("/sys/fs/cgroup/kubepods.slice/pod1/"), 5u);
    EXPECT_EQ(cgroup_level("/sys/fs/cgroup//a/./b"), 5u);
    EXPECT_TRUE(cgroup_inside("/sys/fs/cgroup/pod/c1", "/sys/fs/cgroup/pod"));
    EXPECT_TRUE(cgroup_inside("/sys/fs/cgroup/pod/c1", "/sys/fs/cgroup/pod/"));
    EXPECT_FALSE(cgroup_inside("/sys/fs/cgroup/pod", "/sys/fs/cgroup/pod"));
    EXPECT_FALSE(cgroup_inside("/sys/fs/cgroup/pod2/c1", "/sys/fs/cgroup/pod"));
    EXPECT_FALSE(cgroup_inside("/sys/fs/cgroup/pod", "/sys/fs/cgroup/pod/c1"));
}

// Enforcing again on the same cgroup names what changed, and nothing when nothing did.
TEST(EnforceConfigTest, ChangesNameWhatAnUpdateChanged) {
    EnforcedCgroup before;
    before.profile = "websocket";
    before.keepalive = true;
    before.idle_seconds = 60;
    before.interval_seconds = 10;
    before.count = 6;
    before.roles = 2;
    before.override_app = true;
    EXPECT_TRUE(enforce_changes(before, before).empty());
    auto after = before;
    after.since_unix = before.since_unix + 100;
    EXPECT_TRUE(enforce_changes(before, after).empty()) << "the time enforced is not a change";
    after.profile = "aws-nlb";
    after.idle_seconds = 300;
    after.roles = 7;
    after.override_app = false;
    EXPECT_EQ(enforce_changes(before, after),
              (std::vector<std::string>{"profile websocket -> aws-nlb", "values 60/10/6 -> 300/10/6",
                                        "roles accepted -> listener,accepted,upstream", "override-app on -> off"}));
    after = before;
    after.keepalive = false;
    EXPECT_EQ(enforce_changes(before, after), std::vector<std::string>{"values 60/10/6 -> keepalive off"});
}

}  // namespace
}  // namespace kt
