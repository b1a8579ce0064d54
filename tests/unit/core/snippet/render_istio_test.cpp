// Istio and Higress renderings.
#include <gtest/gtest.h>

#include "unit/core/snippet/render_profiles.hpp"

namespace kt {
namespace {
using namespace kt::test;

TEST(RenderIstioTest, UpstreamIsADestinationRuleAndTheMeshConfigDefaultInWholeSeconds) {
    const auto r = rendered(nlb_profile(), "istio", Side::upstream);
    ASSERT_EQ(r.snippets.size(), 2u);
    EXPECT_TRUE(has(r.snippets[0].body, "kind: DestinationRule\n"));
    EXPECT_TRUE(has(r.snippets[0].body,
                    "      tcp:\n        tcpKeepalive:\n          time: 240s\n"
                    "          interval: 30s\n          probes: 4\n"))
        << r.snippets[0].body;
    EXPECT_EQ(r.snippets[1].body, "meshConfig:\n  tcpKeepalive:\n    time: 240s\n    interval: 30s\n    probes: 4\n");
    EXPECT_TRUE(has(caveat_lines(r), "rounding: Istio converts time and interval with uint32(Duration.Seconds)"));
    EXPECT_TRUE(has(caveat_lines(r), "cannot-express: TCP_USER_TIMEOUT: DestinationRule and MeshConfig have no field"));
    EXPECT_FALSE(r.effective[0].user_timeout_ms.has_value());
}

TEST(RenderIstioTest, DownstreamIsAnEnvoyFilterMergingSocketOptionsIntoTheGatewayListeners) {
    const auto r = rendered(nlb_profile(), "istio", Side::downstream);
    ASSERT_EQ(r.snippets.size(), 1u);
    const auto& body = r.snippets[0].body;
    EXPECT_TRUE(has(body, "kind: EnvoyFilter\n"));
    EXPECT_TRUE(has(body, "  - applyTo: LISTENER\n    match:\n      context: GATEWAY\n"));
    EXPECT_TRUE(has(body, "      operation: MERGE\n"));
    EXPECT_TRUE(has(body, "istio: ingressgateway"));
    EXPECT_TRUE(has(body, "level: 6, name: 4, int_value: 240,"));
    EXPECT_TRUE(has(body, "level: 6, name: 18, int_value: 360000,"));
    EXPECT_EQ(r.effective[0].user_timeout_ms, 360000u);
}

TEST(RenderIstioTest, KeepaliveOffLeavesTheUpstreamWithNothingToSet) {
    const auto r = rendered(off_profile(), "istio", Side::upstream);
    ASSERT_EQ(r.snippets.size(), 1u);
    EXPECT_FALSE(has(r.snippets[0].body, "time:"));
    EXPECT_TRUE(has(caveat_lines(r), "the profile turns keepalive off"));
}

TEST(RenderHigressTest, TheIstioResourcesWithoutMeshConfigAndTheReasonWhy) {
    const auto r = rendered(nlb_profile(), "higress");
    ASSERT_EQ(r.snippets.size(), 2u);
    EXPECT_TRUE(has(r.snippets[0].body, "kind: DestinationRule\n"));
    EXPECT_TRUE(has(r.snippets[1].body, "kind: EnvoyFilter\n"));
    EXPECT_TRUE(has(r.snippets[1].body, "  namespace: higress-system\n"));
    EXPECT_FALSE(has(r.snippets[1].body, "workloadSelector"));
    for (const auto& s : r.snippets) EXPECT_TRUE(has(s.caveats.front().text, "global.enableIstioAPI: true")) << s.title;
}

}  // namespace
}  // namespace kt
