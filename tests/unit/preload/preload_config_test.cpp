// The preload library's parser of KEEPALIVE_TUNE_PRELOAD, and the setting `exec` writes for it.
#include "preload/preload_config.h"

#include <gtest/gtest.h>

#include "core/change/preload_setting.hpp"

namespace kt {
namespace {

TEST(PreloadConfigTest, ReadsWhatExecWrites) {
    Profile p;
    p.keepalive = {true, 240, 30, 4};
    p.user_timeout_ms = 360000;
    const auto text = preload_setting(p, {true, false}, true);
    EXPECT_EQ(text, "v1 keepalive=1 idle=240 interval=30 count=4 user_timeout=360000 roles=listener enforce=1");
    kt_preload_config c{};
    ASSERT_EQ(kt_preload_parse(text.c_str(), &c), nullptr);
    EXPECT_EQ(c.keepalive, 1);
    EXPECT_EQ(c.idle, 240);
    EXPECT_EQ(c.interval, 30);
    EXPECT_EQ(c.count, 4);
    EXPECT_EQ(c.user_timeout, 360000);
    EXPECT_EQ(c.roles, KT_ROLE_LISTENER);
    EXPECT_EQ(c.enforce, 1);
}

TEST(PreloadConfigTest, AnAbsentUserTimeoutLeavesTheSocketsOwn) {
    Profile p;
    p.keepalive = {true, 60, 10, 3};
    kt_preload_config c{};
    ASSERT_EQ(kt_preload_parse(preload_setting(p, {}, false).c_str(), &c), nullptr);
    EXPECT_EQ(c.user_timeout, -1);
    EXPECT_EQ(c.roles, KT_ROLE_LISTENER | KT_ROLE_UPSTREAM);
}

TEST(PreloadConfigTest, MalformedSettingsAreRejectedWithTheReason) {
    const char* base = " interval=1 count=1 roles=upstream enforce=0";
    auto why = [&](std::string text) {
        kt_preload_config c{};
        const char* w = kt_preload_parse(text.c_str(), &c);
        return std::string(w ? w : "");
    };
    EXPECT_EQ(why("v1 keepalive=1 idle=5" + std::string(base)), "");
    EXPECT_EQ(why("garbage"), "not version v1");
    EXPECT_EQ(why("v2 keepalive=1 idle=5" + std::string(base)), "not version v1");
    EXPECT_EQ(why("v1 keepalive=1 idle=0" + std::string(base)), "idle must be 1..32767");
    EXPECT_EQ(why("v1 keepalive=1 idle=32768" + std::string(base)), "idle must be 1..32767");
    EXPECT_EQ(why("v1 keepalive=1 idle=-5" + std::string(base)), "idle must be 1..32767");
    EXPECT_EQ(why("v1 keepalive=1 idle=99999999999" + std::string(base)), "idle must be 1..32767");
    EXPECT_EQ(why("v1 keepalive=2 idle=5" + std::string(base)), "keepalive must be 0 or 1");
    EXPECT_EQ(why("v1 keepalive=1 idle=5 colour=blue" + std::string(base)), "unknown key");
    EXPECT_EQ(why("v1 keepalive=1 idle" + std::string(base)), "expected key=value");
    EXPECT_EQ(why("v1 keepalive=1 interval=1 count=1 roles=upstream enforce=0"),
              "a required key is missing (keepalive, idle, interval, count, roles, enforce)");
    EXPECT_EQ(why("v1 keepalive=1 idle=5 interval=1 count=1 roles=udp enforce=0"), "roles must be listener, upstream or both");
    EXPECT_EQ(why("v1 keepalive=1 idle=5 interval=1 count=128 roles=upstream enforce=0"), "count must be 1..127");
    kt_preload_config c{};
    EXPECT_STREQ(kt_preload_parse(nullptr, &c), "not set");
}

TEST(PreloadSettingTest, RolesAreListenerUpstreamOrBoth) {
    EXPECT_TRUE(parse_preload_roles("listener,upstream").has_value());
    EXPECT_FALSE(parse_preload_roles("upstream").value().listener);
    auto bad = parse_preload_roles("accepted");
    ASSERT_FALSE(bad.has_value());
    EXPECT_EQ(bad.error().line(),
              "--role accepted: \"accepted\" is not listener or upstream (accepted connections inherit the listener's options)");
    EXPECT_FALSE(parse_preload_roles(",").has_value());
}

TEST(PreloadSettingTest, OurLibraryGoesFirstOnceAndOthersStay) {
    EXPECT_EQ(preload_list("/lib/kt.so", ""), "/lib/kt.so");
    EXPECT_EQ(preload_list("/lib/kt.so", "/lib/a.so:/lib/b.so"), "/lib/kt.so /lib/a.so /lib/b.so");
    EXPECT_EQ(preload_list("/lib/kt.so", "/lib/kt.so /lib/a.so"), "/lib/kt.so /lib/a.so");
}

}  // namespace
}  // namespace kt
