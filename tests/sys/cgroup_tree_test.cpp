// The cgroup tree as the agent matches it, on a fake root: paths below the root, ids, and the
// pod and container names the kubelet's log directories give.
#include "sys/cgroup_tree.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "support/temp_dir.hpp"

namespace kt::sys {
namespace {

const CgroupNode* find(const std::vector<CgroupNode>& v, const std::string& path) {
    for (const auto& n : v)
        if (n.facts.path == path) return &n;
    return nullptr;
}

TEST(CgroupTreeTest, EveryDirectoryWithItsPodAndContainerNames) {
    test::TempDir d;
    const std::string uid = "5f0c7d2e-9a41-4b6e-8f3d-2c1b0a9e8d7c";
    const std::string id(64, 'e');
    const std::string pod = "kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod5f0c7d2e_9a41_4b6e_8f3d_2c1b0a9e8d7c.slice";
    CgroupTreeSources s{d.path() + "/cgroup", d.path() + "/log/pods", d.path() + "/log/containers"};
    std::filesystem::create_directories(s.root + "/" + pod + "/cri-containerd-" + id + ".scope");
    std::filesystem::create_directories(s.root + "/system.slice/nginx.service");
    std::filesystem::create_directories(s.pod_logs + "/shop_web-7f9c_" + uid);
    std::filesystem::create_directories(s.container_logs);
    std::ofstream(s.container_logs + "/web-7f9c_shop_app-" + id + ".log") << "";
    std::ofstream(s.root + "/cgroup.procs") << "";  // files are not cgroups

    const auto all = list_cgroups(s);
    EXPECT_EQ(all.size(), 6u);  // kubepods.slice, its besteffort slice, the pod, the container, system.slice, nginx
    const auto* p = find(all, pod);
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(p->facts.pod, "shop/web-7f9c");
    EXPECT_EQ(p->facts.container, "");
    EXPECT_EQ(p->absolute_path, s.root + "/" + pod);
    struct stat st{};
    ASSERT_EQ(stat(p->absolute_path.c_str(), &st), 0);
    EXPECT_EQ(p->id, st.st_ino);
    const auto* c = find(all, pod + "/cri-containerd-" + id + ".scope");
    ASSERT_NE(c, nullptr);
    EXPECT_EQ(c->facts.pod, "shop/web-7f9c");
    EXPECT_EQ(c->facts.container, "app");
    const auto* n = find(all, "system.slice/nginx.service");
    ASSERT_NE(n, nullptr);
    EXPECT_EQ(n->facts.pod, "");

    // Only the directories named, those that exist under the root.
    const auto some = describe_cgroups(s, {s.root + "/system.slice/nginx.service", s.root + "/gone", "/elsewhere/x"});
    ASSERT_EQ(some.size(), 1u);
    EXPECT_EQ(some[0].facts.path, "system.slice/nginx.service");
    EXPECT_EQ(some[0].id, n->id);
}

}  // namespace
}  // namespace kt::sys
