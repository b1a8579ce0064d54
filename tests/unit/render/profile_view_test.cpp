#include "render/profile_view.hpp"

#include <gtest/gtest.h>

namespace kt::render {
namespace {

Profile envoy() {
    Profile p;
    p.name = "envoy-gloo";
    p.summary = "s";
    p.description = "d";
    p.keepalive = {true, 60, 20, 2};
    p.path = {"aws-nlb-tcp", "aws-clb"};
    return p;
}

TEST(ProfileViewTest, ShowSaysThatAProfileWithoutUserTimeoutHasAHole) {
    const auto p = envoy();
    const auto text = profile_show_text(p, path_budget(p.keepalive, p.path, middlebox_catalogue()));
    EXPECT_NE(text.find("hole: no user timeout"), std::string::npos) << text;
    EXPECT_NE(text.find("dead peer, idle connection:      1m40s"), std::string::npos) << text;
}

TEST(ProfileViewTest, ShowWarnsAboutMiddleboxesKeepaliveDoesNotRefresh) {
    const auto p = envoy();
    const auto text = profile_show_text(p, path_budget(p.keepalive, p.path, middlebox_catalogue()));
    EXPECT_NE(text.find("beats   aws-nlb-tcp"), std::string::npos) << text;
    EXPECT_NE(text.find("WARNING aws-clb"), std::string::npos) << text;
}

TEST(ProfileViewTest, JsonCarriesDetectionHolesAndVerdicts) {
    const auto p = envoy();
    const auto j = profile_show_json(p, path_budget(p.keepalive, p.path, middlebox_catalogue()));
    EXPECT_EQ(j["dead_peer_idle"]["ms"], 100000);
    EXPECT_EQ(j["dead_peer_unacked"]["ms"], nullptr);
    EXPECT_EQ(j["dead_peer_unacked"]["limited_by"], "tcp_retries2");
    EXPECT_EQ(j["holes"].size(), 1u);
    EXPECT_EQ(j["budget"][0]["verdict"], "beats");
    EXPECT_EQ(j["budget"][1]["verdict"], "not-refreshed");
    EXPECT_EQ(j["budget_loses"], true);
    EXPECT_EQ(j["user_timeout_ms"], nullptr);
}

}  // namespace
}  // namespace kt::render
