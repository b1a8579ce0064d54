#include "render/snippet_view.hpp"

#include <gtest/gtest.h>

#include "unit/core/snippet/render_profiles.hpp"

namespace kt::render {
namespace {
using namespace kt::test;

TEST(SnippetViewTest, TextIsEverySnippetWithItsHeaderABlankLineBetween) {
    const auto p = nlb_profile();
    const auto r = rendered(p, "nginx");
    const auto text = rendering_text(p, "nginx", r);
    EXPECT_EQ(text, snippet_text(p, "nginx", r.snippets[0]) + "\n" + snippet_text(p, "nginx", r.snippets[1]));
}

TEST(SnippetViewTest, JsonHasTheSchemaSnippetsCaveatsAndEffectiveValues) {
    const auto p = nlb_profile();
    const RenderOptions o{Side::downstream, EnvoyVersion{1, 36}, std::nullopt};
    const auto r = *render_profile(p, "envoy", o);
    const auto j = rendering_json(p, "envoy", o, r);
    EXPECT_EQ(j["schema"], "keepalive-tune.render.v1");
    EXPECT_EQ(j["target"], "envoy");
    EXPECT_EQ(j["side"], "downstream");
    EXPECT_EQ(j["envoy_version"], "1.36");
    EXPECT_EQ(j["profile"]["name"], "lab");
    EXPECT_EQ(j["profile"]["user_timeout_ms"], 360000);
    ASSERT_EQ(j["snippets"].size(), 1u);
    const auto& s = j["snippets"][0];
    EXPECT_EQ(s["syntax"], "yaml");
    EXPECT_EQ(s["body"], r.snippets[0].body);
    EXPECT_EQ(s["text"], snippet_text(p, "envoy", r.snippets[0]));
    EXPECT_FALSE(s["where"].get<std::string>().empty());
    EXPECT_EQ(s["caveats"][0]["kind"], "scope");
    EXPECT_EQ(j["caveats"].size(), all_caveats(r).size());
    ASSERT_EQ(j["effective"].size(), 1u);
    EXPECT_EQ(j["effective"][0]["side"], "downstream");
    EXPECT_EQ(j["effective"][0]["keepalive"], true);
    EXPECT_EQ(j["effective"][0]["idle_seconds"], 240);
    EXPECT_EQ(j["effective"][0]["user_timeout_ms"], 360000);
}

TEST(SnippetViewTest, ValuesATargetLeavesAloneAreNull) {
    const auto p = nlb_profile();
    const auto j = rendering_json(p, "sysctl.d", {}, rendered(p, "sysctl.d"));
    EXPECT_EQ(j["envoy_version"], nullptr);
    EXPECT_EQ(j["effective"][0]["keepalive"], nullptr);
    EXPECT_EQ(j["effective"][0]["user_timeout_ms"], nullptr);
    EXPECT_EQ(j["effective"][0]["count"], 4);
}

TEST(SnippetViewTest, TheTargetListHasOneLinePerTargetAndItsSides) {
    const auto text = render_targets_text();
    EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), static_cast<long>(render_targets().size()) + 1);
    EXPECT_NE(text.find("\nlibpq           upstream    "), std::string::npos) << text;
    const auto j = render_targets_json();
    EXPECT_EQ(j["schema"], "keepalive-tune.render-targets.v1");
    EXPECT_EQ(j["targets"].size(), render_targets().size());
    EXPECT_EQ(j["targets"][0]["name"], "nginx");
    EXPECT_EQ(j["targets"][0]["sides"], nlohmann::json({"downstream", "upstream"}));
}

}  // namespace
}  // namespace kt::render
