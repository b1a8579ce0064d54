// PostgreSQL, libpq and Redis renderings.
#include <gtest/gtest.h>

#include "unit/core/snippet/render_profiles.hpp"

namespace kt {
namespace {
using namespace kt::test;

TEST(RenderPostgresqlTest, ServerParametersInSecondsAndTheUserTimeoutInMilliseconds) {
    const auto r = rendered(nlb_profile(), "postgresql");
    const auto& body = r.snippets[0].body;
    EXPECT_TRUE(has(body, "tcp_keepalives_idle = 240       # seconds\n")) << body;
    EXPECT_TRUE(has(body, "tcp_keepalives_interval = 30    # seconds\n"));
    EXPECT_TRUE(has(body, "tcp_keepalives_count = 4\n"));
    EXPECT_TRUE(has(body, "tcp_user_timeout = 360000       # milliseconds\n"));
    EXPECT_TRUE(has(caveat_lines(r), "a 0 in these parameters means the OS value"));
    EXPECT_FALSE(
        has(rendered(render_profile_of(60, 20, 2, std::nullopt), "postgresql").snippets[0].body, "tcp_user_timeout"));
}

TEST(RenderPostgresqlTest, TheServerCannotTurnKeepaliveOff) {
    const auto r = rendered(off_profile(), "postgresql");
    EXPECT_FALSE(has(r.snippets[0].body, "tcp_keepalives_idle ="));
    EXPECT_TRUE(has(caveat_lines(r), "cannot-express: keepalive off: PostgreSQL sets SO_KEEPALIVE"));
    EXPECT_EQ(r.effective[0].keepalive, true);
}

TEST(RenderLibpqTest, AServiceEntryAndTheSameAsAConnectionString) {
    const auto r = rendered(nlb_profile(), "libpq");
    EXPECT_EQ(r.snippets[0].body,
              "[db]\nhost=db\nkeepalives=1\nkeepalives_idle=240\nkeepalives_interval=30\n"
              "keepalives_count=4\ntcp_user_timeout=360000\n");
    EXPECT_TRUE(has(caveat_lines(r),
                    "host=db keepalives=1 keepalives_idle=240 keepalives_interval=30 "
                    "keepalives_count=4 tcp_user_timeout=360000 "));
    EXPECT_EQ(rendered(off_profile(), "libpq").snippets[0].body, "[db]\nhost=db\nkeepalives=0\n");
}

TEST(RenderRedisTest, OneNumberAndWhatRedisDerivesFromIt) {
    const auto r = rendered(nlb_profile(), "redis");
    EXPECT_EQ(r.snippets[0].body, "tcp-keepalive 240\n");
    EXPECT_TRUE(has(caveat_lines(r),
                    "approximation: Redis derives interval and count from its one number N (the idle "
                    "time): interval N/3 (at least 1) = 80 s and count 3, fixed, where the profile has "
                    "30 s and 4; an idle dead client is found after 480 s instead of the profile's "
                    "360 s"))
        << caveat_lines(r);
    EXPECT_TRUE(has(caveat_lines(r), "TCP_USER_TIMEOUT: Redis has no setting for it"));
    ASSERT_EQ(r.effective.size(), 1u);
    EXPECT_EQ(r.effective[0].idle_seconds, 240u);
    EXPECT_EQ(r.effective[0].interval_seconds, 80u);
    EXPECT_EQ(r.effective[0].count, 3u);
}

TEST(RenderRedisTest, TheDerivedIntervalIsAtLeastOneAndZeroTurnsKeepaliveOff) {
    EXPECT_EQ(rendered(render_profile_of(2, 1, 5, std::nullopt), "redis").effective[0].interval_seconds, 1u);
    const auto off = rendered(off_profile(), "redis");
    EXPECT_EQ(off.snippets[0].body, "tcp-keepalive 0\n");
    EXPECT_EQ(off.effective[0].keepalive, false);
}

}  // namespace
}  // namespace kt
