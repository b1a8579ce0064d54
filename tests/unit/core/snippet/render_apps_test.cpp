// Go, Java and Netty renderings.
#include <gtest/gtest.h>

#include "unit/core/snippet/render_profiles.hpp"

namespace kt {
namespace {
using namespace kt::test;

TEST(RenderGoTest, KeepAliveConfigInDurationsAndTheUserTimeoutThroughControl) {
    const auto r = rendered(nlb_profile(), "go");
    const auto& body = r.snippets[0].body;
    EXPECT_EQ(r.snippets[0].comments, CommentStyle::slashes);
    // A blank line between the header and `package`: otherwise the header is the package's doc
    // comment, and gofmt rewraps its indented lines.
    EXPECT_TRUE(body.starts_with("\npackage keepalive\n")) << body;
    EXPECT_TRUE(has(body,
                    "var Config = net.KeepAliveConfig{\n\tEnable:   true,\n\tIdle:     240 * time.Second,\n"
                    "\tInterval: 30 * time.Second,\n\tCount:    4,\n}\n"))
        << body;
    EXPECT_TRUE(has(body, "var Listen = net.ListenConfig{KeepAliveConfig: Config, Control: setUserTimeout}\n"));
    EXPECT_TRUE(has(body, "var Dial = net.Dialer{KeepAliveConfig: Config, Control: setUserTimeout}\n"));
    EXPECT_TRUE(has(body, "unix.TCP_USER_TIMEOUT, 360000)"));
    EXPECT_TRUE(has(body, "\t\"golang.org/x/sys/unix\"\n"));
    EXPECT_TRUE(has(caveat_lines(r), "a zero field of net.KeepAliveConfig means Go's default"));
}

TEST(RenderGoTest, WithoutAUserTimeoutNoControlAndNoExtraImports) {
    const auto body = rendered(render_profile_of(60, 20, 2, 0), "go", Side::upstream).snippets[0].body;
    EXPECT_FALSE(has(body, "Control"));
    EXPECT_FALSE(has(body, "unix"));
    EXPECT_FALSE(has(body, "var Listen"));
    EXPECT_TRUE(has(body, "var Dial = net.Dialer{KeepAliveConfig: Config}\n")) << body;
}

TEST(RenderGoTest, KeepaliveOffIsANegativeKeepAliveNotAZeroOne) {
    const auto body = rendered(off_profile(), "go").snippets[0].body;
    EXPECT_TRUE(has(body, "var Listen = net.ListenConfig{KeepAlive: -1}\n")) << body;
    EXPECT_TRUE(has(body, "var Dial = net.Dialer{KeepAlive: -1}\n"));
    EXPECT_FALSE(has(body, "KeepAliveConfig"));
    EXPECT_FALSE(has(body, "\"time\""));
}

TEST(RenderJavaTest, ExtendedSocketOptionsInSecondsAndNoUserTimeout) {
    const auto r = rendered(nlb_profile(), "java");
    const auto& body = r.snippets[0].body;
    EXPECT_TRUE(has(body, "        socket.setOption(ExtendedSocketOptions.TCP_KEEPIDLE, 240);\n")) << body;
    EXPECT_TRUE(has(body, "        channel.setOption(ExtendedSocketOptions.TCP_KEEPINTERVAL, 30);\n"));
    EXPECT_TRUE(has(body, "        channel.setOption(ExtendedSocketOptions.TCP_KEEPCOUNT, 4);\n"));
    EXPECT_TRUE(has(caveat_lines(r), "TCP_USER_TIMEOUT: the JDK has no socket option for it"));
    EXPECT_TRUE(has(rendered(off_profile(), "java").snippets[0].body, "SO_KEEPALIVE, false);"));
}

TEST(RenderNettyTest, ChildOptionsForTheServerOptionsForTheClientWithUserTimeout) {
    const auto r = rendered(nlb_profile(), "netty");
    const auto& body = r.snippets[0].body;
    EXPECT_TRUE(has(body, ".childOption(EpollChannelOption.TCP_KEEPIDLE, 240)")) << body;
    EXPECT_TRUE(has(body, ".childOption(EpollChannelOption.TCP_USER_TIMEOUT, 360000);"));
    EXPECT_TRUE(has(body, ".option(EpollChannelOption.TCP_KEEPINTVL, 30)"));
    EXPECT_TRUE(has(body, ".option(EpollChannelOption.TCP_USER_TIMEOUT, 360000);"));
    const auto down = rendered(nlb_profile(), "netty", Side::downstream).snippets[0].body;
    EXPECT_FALSE(has(down, "Bootstrap client"));
    EXPECT_FALSE(has(down, "import io.netty.bootstrap.Bootstrap;"));
}

}  // namespace
}  // namespace kt
