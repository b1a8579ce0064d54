#include "core/text/nearest.hpp"

#include <gtest/gtest.h>

#include <array>

namespace kt {
namespace {

constexpr std::array<std::string_view, 4> k_commands = {"profile", "inspect", "apply", "verify"};

TEST(NearestTest, EditDistanceCountsSwapsAsOneEdit) {
    EXPECT_EQ(edit_distance("inspect", "inspect"), 0u);
    EXPECT_EQ(edit_distance("insepct", "inspect"), 1u);
    EXPECT_EQ(edit_distance("", "abc"), 3u);
    EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
}

TEST(NearestTest, SuggestsTheClosestCandidate) {
    EXPECT_EQ(nearest_name("inspct", k_commands), "inspect");
    EXPECT_EQ(nearest_name("aply", k_commands), "apply");
    EXPECT_EQ(nearest_name("prof", k_commands), "profile");  // a prefix
}

TEST(NearestTest, SuggestsNothingForUnrelatedWords) {
    EXPECT_FALSE(nearest_name("xyzzy", k_commands).has_value());
    EXPECT_EQ(did_you_mean("zzz", k_commands), "");
}

}  // namespace
}  // namespace kt
