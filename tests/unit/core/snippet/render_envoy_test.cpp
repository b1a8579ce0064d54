// Envoy renderings: the listener field of 1.37 or raw socket options, and the cluster.
#include <gtest/gtest.h>

#include "unit/core/snippet/render_profiles.hpp"

namespace kt {
namespace {
using namespace kt::test;

TEST(RenderEnvoyTest, WithoutAVersionTheListenerGetsTcpKeepaliveAndTheUserTimeoutAsOption618) {
    const auto r = rendered(nlb_profile(), "envoy", Side::downstream);
    ASSERT_EQ(r.snippets.size(), 1u);
    const auto& body = r.snippets[0].body;
    EXPECT_TRUE(has(body, "  tcp_keepalive: {keepalive_time: 240, keepalive_interval: 30, keepalive_probes: 4}\n"))
        << body;
    EXPECT_TRUE(has(body,
                    "  - {description: TCP_USER_TIMEOUT ms, level: 6, name: 18, int_value: 360000, state: "
                    "STATE_PREBIND}\n"));
    EXPECT_FALSE(has(body, "name: 4,"));
    EXPECT_TRUE(has(caveat_lines(r), "Listener.tcp_keepalive is new in Envoy 1.37"));
}

TEST(RenderEnvoyTest, BeforeOneThirtySevenTheListenerGetsRawSocketOptions) {
    const auto r = rendered(nlb_profile(), "envoy", Side::downstream, EnvoyVersion{1, 36});
    const auto& body = r.snippets[0].body;
    EXPECT_FALSE(has(body, "tcp_keepalive"));
    for (const char* line :
         {"level: 1, name: 9, int_value: 1,", "level: 6, name: 4, int_value: 240,", "level: 6, name: 5, int_value: 30,",
          "level: 6, name: 6, int_value: 4,", "level: 6, name: 18, int_value: 360000,"})
        EXPECT_TRUE(has(body, line)) << line << "\n" << body;
    EXPECT_TRUE(has(caveat_lines(r), "enable_reuse_port"));
    EXPECT_TRUE(has(rendered(nlb_profile(), "envoy", Side::downstream, EnvoyVersion{1, 37}).snippets[0].body,
                    "tcp_keepalive:"));
}

TEST(RenderEnvoyTest, TheClusterGetsUpstreamConnectionOptionsAndTheUserTimeoutThroughItsBindConfig) {
    const auto r = rendered(nlb_profile(), "envoy", Side::upstream);
    ASSERT_EQ(r.snippets.size(), 1u);
    const auto& body = r.snippets[0].body;
    EXPECT_TRUE(has(body,
                    "  upstream_connection_options:\n    tcp_keepalive: {keepalive_time: 240, "
                    "keepalive_interval: 30, keepalive_probes: 4}\n"))
        << body;
    EXPECT_TRUE(has(body,
                    "  upstream_bind_config:\n    socket_options:\n    - {description: TCP_USER_TIMEOUT ms, "
                    "level: 6, name: 18, int_value: 360000"));
    EXPECT_TRUE(has(caveat_lines(r), "not verified"));
    EXPECT_EQ(r.effective[0].user_timeout_ms, 360000u);
}

TEST(RenderEnvoyTest, WithoutAUserTimeoutThereIsNoBindConfig) {
    const auto all = bodies(rendered(render_profile_of(60, 20, 2, std::nullopt), "envoy"));
    EXPECT_FALSE(has(all, "upstream_bind_config"));
    EXPECT_FALSE(has(all, "name: 18"));
}

TEST(RenderEnvoyTest, KeepaliveOffIsSoKeepaliveZeroOnTheListenerAndNothingOnTheCluster) {
    const auto r = rendered(off_profile(), "envoy");
    EXPECT_TRUE(has(r.snippets[0].body, "- {description: SO_KEEPALIVE off, level: 1, name: 9, int_value: 0,"))
        << r.snippets[0].body;
    EXPECT_FALSE(has(r.snippets[1].body, "  upstream_connection_options:\n"));
    EXPECT_TRUE(has(caveat_lines(r), "the profile turns keepalive off"));
}

}  // namespace
}  // namespace kt
