// nginx and HAProxy renderings, on values.
#include <gtest/gtest.h>

#include "unit/core/snippet/render_profiles.hpp"

namespace kt {
namespace {
using namespace kt::test;

TEST(RenderNginxTest, DownstreamIsTheListenParameterInSeconds) {
    const auto r = rendered(nlb_profile(), "nginx", Side::downstream);
    ASSERT_EQ(r.snippets.size(), 1u);
    EXPECT_TRUE(has(r.snippets[0].body, "    listen 8080 so_keepalive=240:30:4;\n")) << r.snippets[0].body;
    EXPECT_FALSE(has(r.snippets[0].body, "proxy_socket_keepalive"));
    EXPECT_EQ(r.snippets[0].syntax, "nginx");
}

TEST(RenderNginxTest, SaysThatNginxHasNoUserTimeout) {
    const auto r = rendered(nlb_profile(), "nginx", Side::downstream);
    EXPECT_TRUE(has(caveat_lines(r),
                    "cannot-express: TCP_USER_TIMEOUT: nginx has no directive for it; the profile's "
                    "360000 ms are not applied."))
        << caveat_lines(r);
    ASSERT_EQ(r.effective.size(), 1u);
    EXPECT_EQ(r.effective[0].idle_seconds, 240u);
    EXPECT_FALSE(r.effective[0].user_timeout_ms.has_value());
    EXPECT_FALSE(has(caveat_lines(rendered(render_profile_of(60, 20, 2, std::nullopt), "nginx")), "TCP_USER_TIMEOUT"));
}

TEST(RenderNginxTest, UpstreamIsTheFlagPlusTheSysctlsItsValuesComeFrom) {
    const auto r = rendered(nlb_profile(), "nginx", Side::upstream);
    ASSERT_EQ(r.snippets.size(), 2u);
    EXPECT_TRUE(has(r.snippets[0].body, "        proxy_socket_keepalive on;\n"));
    EXPECT_TRUE(has(r.snippets[0].body, "    listen 8080;\n"));
    EXPECT_EQ(r.snippets[1].syntax, "sysctl");
    EXPECT_EQ(r.snippets[1].body,
              "net.ipv4.tcp_keepalive_time = 240\nnet.ipv4.tcp_keepalive_intvl = 30\n"
              "net.ipv4.tcp_keepalive_probes = 4\n");
    EXPECT_TRUE(has(caveat_lines(r), "proxy_socket_keepalive only turns SO_KEEPALIVE on"));
}

TEST(RenderNginxTest, BothSidesInOneServerBlock) {
    const auto body = rendered(nlb_profile(), "nginx").snippets[0].body;
    EXPECT_TRUE(has(body, "upstream backend {\n    server 127.0.0.1:8081;\n    keepalive 32;\n}\n")) << body;
    EXPECT_TRUE(has(body, "proxy_http_version 1.1;\n        proxy_set_header Connection \"\";")) << body;
    EXPECT_TRUE(has(body, "listen 8080 so_keepalive=240:30:4;"));
    EXPECT_TRUE(has(body, "proxy_pass http://backend;"));
}

TEST(RenderNginxTest, KeepaliveOffIsSaidExplicitlyAndNeedsNoSysctls) {
    const auto r = rendered(off_profile(), "nginx");
    ASSERT_EQ(r.snippets.size(), 1u);
    EXPECT_TRUE(has(r.snippets[0].body, "listen 8080 so_keepalive=off;"));
    EXPECT_TRUE(has(r.snippets[0].body, "proxy_socket_keepalive off;"));
    EXPECT_EQ(r.effective[0].keepalive, false);
}

TEST(RenderHaproxyTest, BothSidesWithOptionsValuesAndUserTimeout) {
    const auto r = rendered(nlb_profile(), "haproxy");
    const auto body = r.snippets[0].body;
    EXPECT_TRUE(has(body, "    option clitcpka\n    clitcpka-idle 240s\n    clitcpka-intvl 30s\n    clitcpka-cnt 4\n"))
        << body;
    EXPECT_TRUE(has(body, "    option srvtcpka\n    srvtcpka-idle 240s\n    srvtcpka-intvl 30s\n    srvtcpka-cnt 4\n"));
    EXPECT_TRUE(has(body, "    bind :8080 tcp-ut 360s\n"));
    EXPECT_TRUE(has(body, "    server app1 127.0.0.1:8081 tcp-ut 360s\n"));
    ASSERT_EQ(r.effective.size(), 2u);
    EXPECT_EQ(r.effective[1].user_timeout_ms, 360000u);
    EXPECT_TRUE(has(caveat_lines(r), "need HAProxy 2.3"));
}

TEST(RenderHaproxyTest, AUserTimeoutOfNoWholeSecondsStaysInMilliseconds) {
    const auto body = rendered(render_profile_of(60, 20, 2, 1500), "haproxy").snippets[0].body;
    EXPECT_TRUE(has(body, "bind :8080 tcp-ut 1500ms\n")) << body;
}

TEST(RenderHaproxyTest, OneSideLeavesTheOtherAlone) {
    const auto down = rendered(nlb_profile(), "haproxy", Side::downstream).snippets[0].body;
    EXPECT_TRUE(has(down, "clitcpka-idle 240s"));
    EXPECT_FALSE(has(down, "srvtcpka"));
    EXPECT_TRUE(has(down, "server app1 127.0.0.1:8081\n")) << down;
    const auto up = rendered(nlb_profile(), "haproxy", Side::upstream).snippets[0].body;
    EXPECT_FALSE(has(up, "clitcpka"));
    EXPECT_TRUE(has(up, "bind :8080\n"));
    EXPECT_TRUE(has(up, "server app1 127.0.0.1:8081 tcp-ut 360s\n"));
}

TEST(RenderHaproxyTest, ZeroUserTimeoutAndKeepaliveOff) {
    const auto zero = rendered(render_profile_of(60, 20, 2, 0), "haproxy").snippets[0].body;
    EXPECT_FALSE(has(zero, "tcp-ut")) << zero;
    const auto off = rendered(off_profile(), "haproxy").snippets[0].body;
    EXPECT_TRUE(has(off, "    no option clitcpka\n    no option srvtcpka\n")) << off;
    EXPECT_FALSE(has(off, "-idle"));
}

}  // namespace
}  // namespace kt
