#include "core/profile/catalogue.hpp"

#include <gtest/gtest.h>

namespace kt {
namespace {

TEST(CatalogueTest, CompiledInCatalogueParsesAndHasTheMajorMiddleboxes) {
    auto parsed = parse_middlebox_catalogue(middlebox_catalogue_json(), "data/middleboxes.json");
    ASSERT_TRUE(parsed.has_value()) << parsed.error().line();
    EXPECT_EQ(parsed->size(), middlebox_catalogue().size());
    for (const char* id : {"aws-nlb-tcp", "aws-nat-gateway", "aws-alb", "aws-clb", "gcp-cloud-nat", "gcp-lb-backend",
                           "azure-lb", "azure-nat-gateway", "linux-conntrack", "kube-proxy"})
        EXPECT_NE(find_middlebox(middlebox_catalogue(), id), nullptr) << id;
}

TEST(CatalogueTest, TimeoutsMatchTheProvidersDefaults) {
    auto c = middlebox_catalogue();
    EXPECT_EQ(find_middlebox(c, "aws-nlb-tcp")->idle_timeout_seconds, 350u);
    EXPECT_EQ(find_middlebox(c, "azure-lb")->idle_timeout_seconds, 240u);
    EXPECT_EQ(find_middlebox(c, "gcp-cloud-nat")->idle_timeout_seconds, 1200u);
    EXPECT_FALSE(find_middlebox(c, "aws-clb")->refreshed_by_keepalive);
    EXPECT_TRUE(find_middlebox(c, "aws-nat-gateway")->refreshed_by_keepalive);
}

TEST(CatalogueTest, DuplicateIdsAreRejected) {
    auto r = parse_middlebox_catalogue(
        R"({"middleboxes": [
            {"id": "a", "name": "A", "idle_timeout_seconds": 1, "configurable": "no", "refreshed_by_keepalive": true},
            {"id": "a", "name": "B", "idle_timeout_seconds": 2, "configurable": "no", "refreshed_by_keepalive": true}]})",
        "c.json");
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().line(), "c.json: /middleboxes/1/id: duplicate id \"a\"");
}

TEST(CatalogueTest, MissingTimeoutIsRejected) {
    auto r = parse_middlebox_catalogue(
        R"({"middleboxes": [{"id": "a", "name": "A", "configurable": "no", "refreshed_by_keepalive": true}]})", "c.json");
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().what, "c.json: /middleboxes/0/idle_timeout_seconds");
}

}  // namespace
}  // namespace kt
