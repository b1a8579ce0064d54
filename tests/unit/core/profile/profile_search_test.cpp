#include "core/profile/profile_search.hpp"

#include <gtest/gtest.h>

namespace kt {
namespace {

TEST(ProfileSearchTest, UserDirsComeFirstThenEtcThenShareThenSourceTree) {
    ProfileSearch s;
    s.user_dirs = {"/a", "/b"};
    s.share_dir = "/usr/share/keepalive-tune/profiles";
    s.source_dir = "/src/profiles";
    s.in_build_tree = true;
    EXPECT_EQ(profile_search_dirs(s), (std::vector<std::string>{"/a", "/b", "/etc/keepalive-tune/profiles",
                                                               "/usr/share/keepalive-tune/profiles", "/src/profiles"}));
}

TEST(ProfileSearchTest, TheShareDirBesideAMovedBinaryComesBeforeTheConfiguredOne) {
    ProfileSearch s;
    s.moved_share_dir = "/opt/kt/share/keepalive-tune/profiles";
    s.share_dir = "/usr/local/share/keepalive-tune/profiles";
    EXPECT_EQ(profile_search_dirs(s), (std::vector<std::string>{"/etc/keepalive-tune/profiles", "/opt/kt/share/keepalive-tune/profiles",
                                                               "/usr/local/share/keepalive-tune/profiles"}));
    s.moved_share_dir = s.share_dir;  // installed where it was configured: listed once
    EXPECT_EQ(profile_search_dirs(s),
              (std::vector<std::string>{"/etc/keepalive-tune/profiles", "/usr/local/share/keepalive-tune/profiles"}));
}

TEST(ProfileSearchTest, SourceTreeIsSearchedOnlyFromTheBuildTree) {
    ProfileSearch s;
    s.share_dir = "/usr/share/keepalive-tune/profiles";
    s.source_dir = "/src/profiles";
    EXPECT_EQ(profile_search_dirs(s),
              (std::vector<std::string>{"/etc/keepalive-tune/profiles", "/usr/share/keepalive-tune/profiles"}));
}

TEST(ProfileSearchTest, InsideDirNeedsAPathBoundary) {
    EXPECT_TRUE(is_inside_dir("/w/build/keepalive-tune", "/w/build"));
    EXPECT_TRUE(is_inside_dir("/w/build/keepalive-tune", "/w/build/"));
    EXPECT_FALSE(is_inside_dir("/w/build2/keepalive-tune", "/w/build"));
    EXPECT_FALSE(is_inside_dir("/usr/bin/keepalive-tune", "/w/build"));
    EXPECT_FALSE(is_inside_dir("", "/w/build"));
}

}  // namespace
}  // namespace kt
