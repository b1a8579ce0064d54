// Envoy Gateway, Gloo Edge and Contour renderings.
#include <gtest/gtest.h>

#include "unit/core/snippet/render_profiles.hpp"

namespace kt {
namespace {
using namespace kt::test;

TEST(RenderEnvoyGatewayTest, ClientAndBackendTrafficPoliciesWithDurations) {
    const auto r = rendered(nlb_profile(), "envoy-gateway");
    ASSERT_EQ(r.snippets.size(), 2u);
    EXPECT_TRUE(has(r.snippets[0].body, "kind: ClientTrafficPolicy\n"));
    EXPECT_TRUE(has(r.snippets[1].body, "kind: BackendTrafficPolicy\n"));
    for (const auto& s : r.snippets)
        EXPECT_TRUE(has(s.body, "  tcpKeepalive:\n    idleTime: 240s\n    interval: 30s\n    probes: 4\n")) << s.body;
    EXPECT_TRUE(has(caveat_lines(r),
                    "rounding: Envoy Gateway converts idleTime and interval with uint32(d.Seconds()), "
                    "truncating"));
    EXPECT_TRUE(has(caveat_lines(r), "TCP_USER_TIMEOUT: neither ClientTrafficPolicy nor BackendTrafficPolicy"));
}

TEST(RenderEnvoyGatewayTest, OneSideIsOnePolicy) {
    const auto r = rendered(nlb_profile(), "envoy-gateway", Side::upstream);
    ASSERT_EQ(r.snippets.size(), 1u);
    EXPECT_TRUE(has(r.snippets[0].body, "kind: BackendTrafficPolicy\n"));
    ASSERT_EQ(r.effective.size(), 1u);
    EXPECT_EQ(r.effective[0].side, Side::upstream);
}

TEST(RenderGlooTest, GatewaySocketOptionsAreCamelCaseAndTheUpstreamRoundsUp) {
    const auto r = rendered(nlb_profile(), "gloo");
    ASSERT_EQ(r.snippets.size(), 2u);
    EXPECT_TRUE(has(r.snippets[0].body, "kind: Gateway\n"));
    EXPECT_TRUE(has(r.snippets[0].body,
                    "    - {description: TCP_KEEPIDLE seconds, level: 6, name: 4, intValue: 240, "
                    "state: STATE_PREBIND}\n"))
        << r.snippets[0].body;
    EXPECT_TRUE(has(r.snippets[0].body, "name: 18, intValue: 360000"));
    EXPECT_TRUE(has(r.snippets[1].body,
                    "    tcpKeepalive:\n      keepaliveProbes: 4\n      keepaliveTime: 240s\n"
                    "      keepaliveInterval: 30s\n"))
        << r.snippets[1].body;
    EXPECT_TRUE(has(caveat_lines(r), "rounding: Gloo rounds keepaliveTime and keepaliveInterval up"));
    EXPECT_TRUE(has(caveat_lines(r), "TCP_USER_TIMEOUT: connectionConfig has no field for it"));
    EXPECT_EQ(r.effective[0].user_timeout_ms, 360000u);
    EXPECT_FALSE(r.effective[1].user_timeout_ms.has_value());
}

TEST(RenderContourTest, SaysWhatIsFixedAndRendersTheApplyAlternative) {
    const auto r = rendered(nlb_profile(), "contour");
    ASSERT_EQ(r.snippets.size(), 1u);
    const auto& body = r.snippets[0].body;
    // Contour's own Envoy pods, not every envoy on the node; with an undo file.
    EXPECT_EQ(body.find("--comm"), std::string::npos) << body;
    EXPECT_NE(body.find("keepalive-tune enforce lab --pod \"$pod\"\n"), std::string::npos) << body;
    EXPECT_NE(body.find("keepalive-tune apply lab --pod \"$pod\" --undo-file "), std::string::npos) << body;
    EXPECT_EQ(r.snippets[0].syntax, "sh");
    const auto caveats = caveat_lines(r);
    EXPECT_TRUE(has(caveats, "TCP_KEEPIDLE 45, TCP_KEEPINTVL 5 and TCP_KEEPCNT 9")) << caveats;
    EXPECT_TRUE(has(caveats, "Contour has no upstream TCP keepalive setting"));
    EXPECT_TRUE(has(caveats, "sysctls do not help"));
    EXPECT_NE(rendered(nlb_profile(), "contour", Side::upstream)
                  .snippets[0]
                  .body.find("keepalive-tune enforce lab --pod \"$pod\" --role upstream\n"),
              std::string::npos);
    EXPECT_NE(rendered(nlb_profile(), "contour", Side::downstream)
                  .snippets[0]
                  .body.find("keepalive-tune apply lab --pod \"$pod\" --role listener,accepted --undo-file"),
              std::string::npos);
}

}  // namespace
}  // namespace kt
