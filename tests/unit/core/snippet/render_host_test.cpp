// systemd socket units, sysctl.d and Kubernetes pod sysctls.
#include <gtest/gtest.h>

#include "unit/core/snippet/render_profiles.hpp"

namespace kt {
namespace {
using namespace kt::test;

TEST(RenderSystemdSocketTest, ADropInWithTheFourSettings) {
    const auto r = rendered(nlb_profile(), "systemd-socket");
    ASSERT_EQ(r.snippets.size(), 1u);
    EXPECT_EQ(r.snippets[0].body,
              "[Socket]\nKeepAlive=yes\nKeepAliveTimeSec=240\nKeepAliveIntervalSec=30\n"
              "KeepAliveProbes=4\n");
    EXPECT_TRUE(has(caveat_lines(r), "TCP_USER_TIMEOUT: systemd.socket has no setting for it"));
    EXPECT_EQ(rendered(off_profile(), "systemd-socket").snippets[0].body, "[Socket]\nKeepAlive=no\n");
}

TEST(RenderSysctlTest, ThreeSysctlsForTheWholeNamespace) {
    const auto r = rendered(nlb_profile(), "sysctl.d");
    ASSERT_EQ(r.snippets.size(), 1u);
    EXPECT_EQ(r.snippets[0].body,
              "net.ipv4.tcp_keepalive_time = 240\nnet.ipv4.tcp_keepalive_intvl = 30\n"
              "net.ipv4.tcp_keepalive_probes = 4\n");
    EXPECT_TRUE(has(caveat_lines(r), "reach only its sockets that turn SO_KEEPALIVE on"));
    EXPECT_TRUE(has(caveat_lines(r), "TCP_USER_TIMEOUT: there is no sysctl for it"));
    ASSERT_EQ(r.effective.size(), 1u);
    EXPECT_FALSE(r.effective[0].keepalive.has_value());
    EXPECT_EQ(r.effective[0].count, 4u);
}

TEST(RenderSysctlTest, NoSysctlTurnsKeepaliveOff) {
    const auto r = rendered(off_profile(), "sysctl.d");
    EXPECT_FALSE(has(r.snippets[0].body, "net.ipv4"));
    EXPECT_TRUE(has(caveat_lines(r), "cannot-express: keepalive off: no sysctl turns keepalive off."));
    EXPECT_TRUE(r.effective.empty());
}

TEST(RenderKubernetesTest, PodSysctlsAsStringsWithTheVersionAndAdmissionCaveats) {
    const auto r = rendered(nlb_profile(), "kubernetes");
    const auto& body = r.snippets[0].body;
    EXPECT_TRUE(body.starts_with("spec:\n  template:\n    spec:\n      securityContext:\n        sysctls:\n")) << body;
    EXPECT_TRUE(has(body, "        - name: net.ipv4.tcp_keepalive_time\n          value: \"240\"\n"));
    EXPECT_TRUE(has(body, "        - name: net.ipv4.tcp_keepalive_probes\n          value: \"4\"\n"));
    const auto caveats = caveat_lines(r);
    EXPECT_TRUE(has(caveats, "safe sysctls since Kubernetes 1.29")) << caveats;
    EXPECT_TRUE(has(caveats, "enforce-version is below v1.29"));
    EXPECT_TRUE(has(caveats, "--allowed-unsafe-sysctls"));
}

}  // namespace
}  // namespace kt
