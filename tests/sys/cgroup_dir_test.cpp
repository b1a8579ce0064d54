#include <gtest/gtest.h>

#include <filesystem>

#include "support/temp_dir.hpp"
#include "sys/target_processes.hpp"

namespace kt::sys {
namespace {

// A fake cgroup2 mount with one service, as systemd lays it out.
struct FakeCgroupRoot {
    test::TempDir root;
    FakeCgroupRoot() { std::filesystem::create_directories(root.path() + "/system.slice/nginx.service"); }
    const std::string& path() const { return root.path(); }
};

TEST(CgroupDirTest, PathsBelowTheMountAreTakenAsSystemdAndProcWriteThem) {
    FakeCgroupRoot r;
    const std::string want = r.path() + "/system.slice/nginx.service";
    EXPECT_EQ(cgroup_dir_of("system.slice/nginx.service", r.path()).value(), want);
    EXPECT_EQ(cgroup_dir_of("/system.slice/nginx.service", r.path()).value(), want);
    EXPECT_EQ(cgroup_dir_of(want, r.path()).value(), want);
    // A missing cgroup is the caller's to report, with the directory it looked for.
    EXPECT_EQ(cgroup_dir_of("/no-such-cgroup-here", r.path()).value(), r.path() + "/no-such-cgroup-here");
}

TEST(CgroupDirTest, AbsolutePathsOutsideTheMountAreRefusedWithTheRelativeForm) {
    FakeCgroupRoot r;
    auto v1 = cgroup_dir_of("/sys/fs/cgroup/systemd/system.slice/nginx.service", r.path());
    ASSERT_FALSE(v1.has_value());
    EXPECT_EQ(v1.error().line(), "--cgroup /sys/fs/cgroup/systemd/system.slice/nginx.service: is not under the cgroup2 mount (" +
                                     r.path() + "); give the path below it: system.slice/nginx.service");
    auto controller = cgroup_dir_of("/sys/fs/cgroup/memory/system.slice/nginx.service", r.path());
    ASSERT_FALSE(controller.has_value());
    EXPECT_NE(controller.error().why.find("give the path below it: system.slice/nginx.service"), std::string::npos);
    auto etc = cgroup_dir_of("/etc", r.path());
    ASSERT_FALSE(etc.has_value());
    EXPECT_NE(etc.error().why.find("is not under the cgroup2 mount (" + r.path() + ")"), std::string::npos);
}

}  // namespace
}  // namespace kt::sys
