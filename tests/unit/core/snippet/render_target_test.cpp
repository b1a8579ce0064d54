#include "core/snippet/render_target.hpp"

#include <gtest/gtest.h>

#include <set>

#include "unit/core/snippet/render_profiles.hpp"

namespace kt {
namespace {
using namespace kt::test;

TEST(RenderTargetTest, TheTableHasEveryTargetOnceWithASummary) {
    std::set<std::string_view> names;
    for (const auto& t : render_targets()) {
        EXPECT_TRUE(names.insert(t.name).second) << t.name;
        EXPECT_FALSE(t.summary.empty()) << t.name;
        EXPECT_TRUE(t.downstream || t.upstream) << t.name;
        EXPECT_EQ(find_render_target(t.name), &t);
    }
    for (const char* name :
         {"nginx", "haproxy", "envoy", "istio", "envoy-gateway", "gloo", "higress", "contour", "systemd-socket",
          "sysctl.d", "kubernetes", "go", "java", "netty", "postgresql", "libpq", "redis"})
        EXPECT_TRUE(names.count(name)) << name;
    EXPECT_EQ(names.size(), 17u);
}

TEST(RenderTargetTest, AMisspeltTargetGetsTheNearestName) {
    const auto r = render_profile(nlb_profile(), "ngnix", {});
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().what, "--for ngnix");
    EXPECT_EQ(r.error().why,
              "unknown target (did you mean \"nginx\"?); `keepalive-tune profile render --list` lists them");
    EXPECT_EQ(render_profile(nlb_profile(), "envoy-gatway", {}).error().why.find("did you mean \"envoy-gateway\"?") !=
                  std::string::npos,
              true);
}

TEST(RenderTargetTest, ASideTheTargetCannotConfigureIsRefused) {
    const auto r = render_profile(nlb_profile(), "systemd-socket", {Side::upstream, std::nullopt, std::nullopt});
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().line(), "--side upstream: systemd-socket renders only the downstream side");
    EXPECT_EQ(render_profile(nlb_profile(), "libpq", {Side::downstream, std::nullopt, std::nullopt}).error().line(),
              "--side downstream: libpq renders only the upstream side");
    EXPECT_TRUE(render_profile(nlb_profile(), "redis", {Side::both, std::nullopt, std::nullopt}).has_value());
}

TEST(RenderTargetTest, OnlyGoTakesAGoVersionAndBefore123ItSetsTheValuesInAControlFunction) {
    const auto r = render_profile(nlb_profile(), "java", {Side::both, std::nullopt, GoVersion{1, 19}});
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().what, "--go-version");
    const auto old = render_profile(nlb_profile(), "go", {Side::both, std::nullopt, GoVersion{1, 19}});
    ASSERT_TRUE(old.has_value());
    const auto& body = old->snippets[0].body;
    EXPECT_EQ(body.find("KeepAliveConfig"), std::string::npos);
    EXPECT_NE(body.find("{syscall.IPPROTO_TCP, syscall.TCP_KEEPIDLE, 240}"), std::string::npos) << body;
    EXPECT_NE(body.find("net.Dialer{KeepAlive: -1, Control: setKeepalive}"), std::string::npos) << body;
    const auto current = render_profile(nlb_profile(), "go", {Side::both, std::nullopt, GoVersion{1, 23}});
    EXPECT_NE(current->snippets[0].body.find("net.KeepAliveConfig{"), std::string::npos);
    EXPECT_EQ(parse_go_version("1.19.8")->minor, 19u);
    EXPECT_FALSE(parse_go_version("go1.19").has_value());
}

TEST(RenderTargetTest, OnlyEnvoyTakesAnEnvoyVersion) {
    const auto r = render_profile(nlb_profile(), "istio", {Side::both, EnvoyVersion{1, 36}, std::nullopt});
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().what, "--envoy-version");
    EXPECT_TRUE(render_profile(nlb_profile(), "envoy", {Side::both, EnvoyVersion{1, 36}, std::nullopt}).has_value());
}

TEST(RenderTargetTest, SidesParseAndAMisspeltOneIsSuggested) {
    EXPECT_EQ(*parse_side("downstream"), Side::downstream);
    EXPECT_EQ(*parse_side("upstream"), Side::upstream);
    EXPECT_EQ(*parse_side("both"), Side::both);
    const auto bad = parse_side("upstrem");
    ASSERT_FALSE(bad.has_value());
    EXPECT_EQ(bad.error().line(), "--side upstrem: must be downstream, upstream or both (did you mean \"upstream\"?)");
}

TEST(RenderTargetTest, EnvoyVersionsAreMajorMinorWithAnOptionalPatch) {
    EXPECT_EQ(*parse_envoy_version("1.36"), (EnvoyVersion{1, 36}));
    EXPECT_EQ(*parse_envoy_version("1.37.2"), (EnvoyVersion{1, 37}));
    EXPECT_LT(*parse_envoy_version("1.9"), (EnvoyVersion{1, 37}));
    for (const char* bad : {"1", "1.", ".36", "1.36.", "1.x", "v1.36", "1.36.2.1", "-1.36", ""})
        EXPECT_FALSE(parse_envoy_version(bad).has_value()) << bad;
    // 0.1 has the right shape: the answer names what is wrong with it, not the shape.
    EXPECT_EQ(parse_envoy_version("0.1").error().line(),
              "--envoy-version 0.1: no release is numbered 0.x; versions start at 1.0 (as in 1.36)");
    EXPECT_EQ(parse_go_version("0.1").error().why, "no release is numbered 0.x; versions start at 1.0 (as in 1.19)");
}

TEST(RenderTargetTest, TheHeaderNamesProfileTargetPlaceAndEveryCaveatInTheSnippetsCommentSyntax) {
    const auto p = nlb_profile();
    Snippet s;
    s.title = "a title";
    s.where = "a file";
    s.body = "body\n";
    s.caveats = {{CaveatKind::rounding, std::string(150, 'x') + " " + std::string(20, 'y')}};
    const auto text = snippet_text(p, "nginx", s);
    EXPECT_EQ(text,
              "# keepalive-tune profile render lab --for nginx: a title\n"
              "# profile lab: keepalive idle 240 s, interval 30 s, count 4; user timeout 360000 ms\n"
              "# goes in: a file\n"
              "# rounding:\n#   " +
                  std::string(150, 'x') + "\n#   " + std::string(20, 'y') + "\nbody\n");
    s.comments = CommentStyle::slashes;
    EXPECT_TRUE(snippet_text(off_profile(), "go", s)
                    .starts_with("// keepalive-tune profile render lab --for go: a "
                                 "title\n// profile lab: keepalive off; no user timeout\n"));
}

TEST(RenderTargetTest, EveryTargetRendersEveryKindOfProfileWithAHeaderInItsOwnCommentSyntax) {
    Profile zero_ut = render_profile_of(60, 20, 2, 0);
    for (const auto& t : render_targets())
        for (const auto& p : {nlb_profile(), off_profile(), render_profile_of(60, 20, 2, std::nullopt), zero_ut}) {
            const auto r = rendered(p, t.name);
            ASSERT_FALSE(r.snippets.empty()) << t.name;
            for (const auto& s : r.snippets) {
                const auto text = snippet_text(p, t.name, s);
                const std::string lead = s.comments == CommentStyle::slashes ? "// " : "# ";
                EXPECT_TRUE(text.starts_with(lead + "keepalive-tune profile render lab --for " + std::string(t.name)))
                    << text;
                EXPECT_FALSE(s.body.empty()) << t.name;
                EXPECT_TRUE(s.body.ends_with("\n")) << t.name;
                EXPECT_FALSE(s.syntax.empty()) << t.name;
            }
        }
}

TEST(RenderTargetTest, CaveatsSharedBySnippetsAreListedOnce) {
    const auto r = rendered(nlb_profile(), "envoy-gateway");
    ASSERT_EQ(r.snippets.size(), 2u);
    std::size_t rounding = 0;
    for (const auto& c : all_caveats(r)) rounding += c.kind == CaveatKind::rounding;
    EXPECT_EQ(rounding, 1u);
}

}  // namespace
}  // namespace kt
