#include "sys/profile_store.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "support/temp_dir.hpp"

namespace kt::sys {
namespace {

std::string profile_text(const std::string& name, int idle) {
    return R"({"name": ")" + name + R"(", "summary": "s", "description": "d",
      "keepalive": {"enabled": true, "idle_seconds": )" + std::to_string(idle) +
           R"(, "interval_seconds": 5, "count": 3}})";
}

TEST(ProfileStoreTest, FirstDirectoryHoldingTheNameWins) {
    test::TempDir a, b;
    a.write("p.json", profile_text("p", 11));
    b.write("p.json", profile_text("p", 22));
    b.write("q.json", profile_text("q", 33));
    auto p = load_profile("p", {a.path(), b.path()});
    ASSERT_TRUE(p.has_value());
    EXPECT_EQ(p->keepalive.idle_seconds, 11u);
    auto q = load_profile("q", {a.path(), b.path()});
    ASSERT_TRUE(q.has_value());
    EXPECT_EQ(q->keepalive.idle_seconds, 33u);
}

TEST(ProfileStoreTest, ListingHidesShadowedProfilesAndReportsBrokenFiles) {
    test::TempDir a, b;
    a.write("p.json", profile_text("p", 11));
    b.write("p.json", profile_text("p", 22));
    b.write("broken.json", "{");
    auto listing = list_profiles({a.path(), b.path()});
    ASSERT_EQ(listing.profiles.size(), 1u);
    EXPECT_EQ(listing.profiles[0].keepalive.idle_seconds, 11u);
    ASSERT_EQ(listing.problems.size(), 1u);
    EXPECT_NE(listing.problems[0].what.find("broken.json:1:"), std::string::npos);
}

// Before: skipped in silence, while `profile validate` reported both.
TEST(ProfileStoreTest, ListingNamesADanglingLinkAndADirectoryThatLookLikeProfiles) {
    test::TempDir a;
    a.write("p.json", profile_text("p", 11));
    ASSERT_EQ(symlink((a.path() + "/nowhere.json").c_str(), (a.path() + "/x.json").c_str()), 0);
    ASSERT_EQ(mkdir((a.path() + "/y.json").c_str(), 0755), 0);
    auto listing = list_profiles({a.path()});
    ASSERT_EQ(listing.profiles.size(), 1u);
    ASSERT_EQ(listing.problems.size(), 2u);
    std::string all;
    for (const auto& e : listing.problems) all += e.line() + "\n";
    EXPECT_NE(all.find(a.path() + "/x.json: is not a regular file"), std::string::npos) << all;
    EXPECT_NE(all.find(a.path() + "/y.json: is a directory"), std::string::npos) << all;
}

TEST(ProfileStoreTest, UnknownNameSuggestsTheNearestAndListsWhereItLooked) {
    test::TempDir a;
    a.write("aws-nlb.json", profile_text("aws-nlb", 240));
    auto p = load_profile("aws-nbl", {a.path()});
    ASSERT_FALSE(p.has_value());
    EXPECT_EQ(p.error()[0].what, "profile \"aws-nbl\"");
    EXPECT_NE(p.error()[0].why.find("did you mean \"aws-nlb\"?"), std::string::npos);
    EXPECT_NE(p.error()[0].why.find(a.path()), std::string::npos);
}

TEST(ProfileStoreTest, NameMustMatchTheFileName) {
    test::TempDir a;
    const auto path = a.write("one.json", profile_text("two", 10));
    auto p = load_profile_file(path);
    ASSERT_FALSE(p.has_value());
    EXPECT_EQ(p.error()[0].what, path + ": /name");
}

TEST(ProfileStoreTest, PathsAreLoadedDirectly) {
    test::TempDir a;
    const auto path = a.write("x.json", profile_text("x", 10));
    auto p = load_profile(path, {});
    ASSERT_TRUE(p.has_value());
    EXPECT_EQ(p->source, path);
}

TEST(ProfileStoreTest, MissingFileSaysSo) {
    auto p = load_profile("/nonexistent/x.json", {});
    ASSERT_FALSE(p.has_value());
    EXPECT_EQ(p.error()[0].line(), "/nonexistent/x.json: No such file or directory");
}

}  // namespace
}  // namespace kt::sys
