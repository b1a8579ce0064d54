// The agent's inotify watch on a temporary tree: directories made (also ones made inside a new
// directory before its watch was in place), removed, and files swapped in a watched directory.
#include "sys/dir_watch.hpp"

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>

#include "support/temp_dir.hpp"

namespace kt::sys {
namespace {

// Events until `done` says enough, for at most 2 s.
template <class F>
DirWatch::Events gather(DirWatch& w, F&& done) {
    DirWatch::Events all;
    for (int i = 0; i < 100 && !done(all); ++i) {
        pollfd p{w.fd(), POLLIN, 0};
        if (poll(&p, 1, 20) <= 0) continue;
        auto e = w.read_events();
        all.made.insert(all.made.end(), e.made.begin(), e.made.end());
        all.tree_changed = all.tree_changed || e.tree_changed;
        all.tree_lost = all.tree_lost || e.tree_lost;
        all.files_in.insert(all.files_in.end(), e.files_in.begin(), e.files_in.end());
    }
    return all;
}

bool has(const std::vector<std::string>& v, const std::string& s) { return std::find(v.begin(), v.end(), s) != v.end(); }

TEST(DirWatchTest, DirectoriesMadeAnywhereBelowAreSeenAndWatchedInTheirTurn) {
    test::TempDir d;
    const std::string root = d.path() + "/tree";
    ASSERT_EQ(mkdir(root.c_str(), 0755), 0);
    ASSERT_EQ(mkdir((root + "/old").c_str(), 0755), 0);
    auto w = DirWatch::open();
    ASSERT_TRUE(w.has_value());
    auto n = w->watch_tree(root);
    ASSERT_TRUE(n.has_value());
    EXPECT_EQ(*n, 2u);  // the root and the directory already there
    // Three levels at once: the inner ones may be made before the watch on their parent exists.
    ASSERT_EQ(mkdir((root + "/a").c_str(), 0755), 0);
    ASSERT_EQ(mkdir((root + "/a/b").c_str(), 0755), 0);
    ASSERT_EQ(mkdir((root + "/a/b/c").c_str(), 0755), 0);
    auto made = gather(*w, [&](const DirWatch::Events& e) { return has(e.made, root + "/a/b/c"); });
    EXPECT_TRUE(has(made.made, root + "/a")) << made.made.size();
    EXPECT_TRUE(has(made.made, root + "/a/b"));
    EXPECT_TRUE(has(made.made, root + "/a/b/c"));
    EXPECT_TRUE(made.tree_changed);
    EXPECT_FALSE(made.tree_lost);
    // Below the new directories too.
    ASSERT_EQ(mkdir((root + "/a/b/c/d").c_str(), 0755), 0);
    auto deeper = gather(*w, [&](const DirWatch::Events& e) { return has(e.made, root + "/a/b/c/d"); });
    EXPECT_TRUE(has(deeper.made, root + "/a/b/c/d"));
    ASSERT_EQ(rmdir((root + "/old").c_str()), 0);
    auto lost = gather(*w, [](const DirWatch::Events& e) { return e.tree_lost; });
    EXPECT_TRUE(lost.tree_lost);
    EXPECT_EQ(w->unwatched(), 0u);
    for (const char* p : {"/a/b/c/d", "/a/b/c", "/a/b", "/a"}) rmdir((root + p).c_str());
}

TEST(DirWatchTest, AConfigMapStyleSwapInAWatchedDirectoryIsAChange) {
    test::TempDir d;
    const std::string cm = d.path() + "/cm";
    ASSERT_EQ(mkdir(cm.c_str(), 0755), 0);
    ASSERT_EQ(mkdir((cm + "/..v1").c_str(), 0755), 0);
    ASSERT_EQ(symlink("..v1", (cm + "/..data").c_str()), 0);
    auto w = DirWatch::open();
    ASSERT_TRUE(w.has_value());
    ASSERT_TRUE(w->watch_files_in(cm).has_value());
    ASSERT_EQ(mkdir((cm + "/..v2").c_str(), 0755), 0);
    ASSERT_EQ(symlink("..v2", (cm + "/..data_tmp").c_str()), 0);
    ASSERT_EQ(std::rename((cm + "/..data_tmp").c_str(), (cm + "/..data").c_str()), 0);
    auto e = gather(*w, [&](const DirWatch::Events& x) { return has(x.files_in, cm); });
    EXPECT_TRUE(has(e.files_in, cm));
    EXPECT_TRUE(e.made.empty());  // not a cgroup tree
}

}  // namespace
}  // namespace kt::sys
