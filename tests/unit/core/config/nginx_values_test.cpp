#include "core/config/nginx_values.hpp"

#include <gtest/gtest.h>

namespace kt {
namespace {

TEST(NginxValuesTest, TimesReadAsNginxReadsThem) {
    EXPECT_EQ(parse_nginx_time_ms("75", false), 75000u);
    EXPECT_EQ(parse_nginx_time_ms("75s", false), 75000u);
    EXPECT_EQ(parse_nginx_time_ms("1h30m", false), 5400000u);
    EXPECT_EQ(parse_nginx_time_ms("500ms", false), 500u);
    EXPECT_EQ(parse_nginx_time_ms("1d", true), 86400000u);
    EXPECT_EQ(parse_nginx_time_ms("500ms", true), std::nullopt);
    EXPECT_EQ(parse_nginx_time_ms("", false), std::nullopt);
    EXPECT_EQ(parse_nginx_time_ms("5x", false), std::nullopt);
    EXPECT_EQ(parse_nginx_time_ms("99999999999999999999", false), std::nullopt);
}

TEST(NginxValuesTest, SoKeepaliveFormsAndEmptyFields) {
    EXPECT_TRUE(parse_nginx_so_keepalive("on")->enabled);
    EXPECT_FALSE(parse_nginx_so_keepalive("off")->enabled);
    const auto k = parse_nginx_so_keepalive("30m::10");
    ASSERT_TRUE(k.has_value());
    EXPECT_EQ(k->idle_seconds, 1800u);
    EXPECT_EQ(k->interval_seconds, std::nullopt);
    EXPECT_EQ(k->count, 10u);
    EXPECT_EQ(parse_nginx_so_keepalive("0:0:0").error().why, "invalid so_keepalive value: \"0:0:0\"");
    EXPECT_FALSE(parse_nginx_so_keepalive("60:10").has_value());
    EXPECT_FALSE(parse_nginx_so_keepalive("60:10:x").has_value());
    EXPECT_FALSE(parse_nginx_so_keepalive("500ms:10:6").has_value());
    EXPECT_EQ(parse_nginx_so_keepalive("40000:10:200")->idle_seconds, 40000u);
}

}  // namespace
}  // namespace kt
