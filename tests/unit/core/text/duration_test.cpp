#include "core/text/duration.hpp"

#include <gtest/gtest.h>

namespace kt {
namespace {

TEST(DurationTest, FormatsForPeople) {
    EXPECT_EQ(format_duration_ms(350), "350ms");
    EXPECT_EQ(format_duration_ms(5000), "5s");
    EXPECT_EQ(format_duration_ms(10200), "10.2s");
    EXPECT_EQ(format_duration_ms(100000), "1m40s");
    EXPECT_EQ(format_duration_ms(7875000), "2h11m15s");
    EXPECT_EQ(format_duration_s(3600), "1h");
    EXPECT_EQ(format_duration_s(0), "0s");
}

}  // namespace
}  // namespace kt
