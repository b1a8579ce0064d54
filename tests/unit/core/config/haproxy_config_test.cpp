#include "core/config/haproxy_config.hpp"

#include <gtest/gtest.h>

namespace kt {
namespace {

TEST(HaproxyConfigTest, SplitsSectionsAndKeywordLinesWithPositions) {
    auto r = parse_haproxy_config("# top\nglobal\n    maxconn 10\n\ndefaults base\n  timeout client 5s # idle\n"
                                  "frontend fe from base\n\tbind :80\n",
                                  "h.cfg");
    ASSERT_TRUE(r.has_value()) << r.error().line();
    ASSERT_EQ(r->sections.size(), 3u);
    EXPECT_EQ(r->sections[0].kind, "global");
    EXPECT_EQ(r->sections[1].name, "base");
    EXPECT_EQ(r->sections[1].lines.at(0).words, (std::vector<std::string>{"timeout", "client", "5s"}));
    EXPECT_EQ(r->sections[1].lines.at(0).at.file_line_column(), "h.cfg:6:3");
    EXPECT_EQ(r->sections[2].name, "fe");
    EXPECT_EQ(r->sections[2].from, "base");
    EXPECT_EQ(r->sections[2].lines.at(0).at.file_line_column(), "h.cfg:8:2");
}

TEST(HaproxyConfigTest, QuotesAndEscapesJoinWords) {
    auto r = parse_haproxy_config("backend b\n  http-request set-header X \"a b\\\"c\" 'd\\e #f' g\\ h i#j\n", "h.cfg");
    ASSERT_TRUE(r.has_value()) << r.error().line();
    EXPECT_EQ(r->sections[0].lines.at(0).words,
              (std::vector<std::string>{"http-request", "set-header", "X", "a b\"c", "d\\e #f", "g h", "i"}));
}

TEST(HaproxyConfigTest, ReportsErrorsWithFileLineAndColumn) {
    auto quote = parse_haproxy_config("defaults\n  option \"httplog\n", "h.cfg");
    ASSERT_FALSE(quote.has_value());
    EXPECT_EQ(quote.error().line(), "h.cfg:2:10: unmatched quote (\")");
    auto outside = parse_haproxy_config("\n  maxconn 10\nglobal\n", "h.cfg");
    ASSERT_FALSE(outside.has_value());
    EXPECT_EQ(outside.error().line(), "h.cfg:2:3: unknown keyword 'maxconn' out of section");
    auto unnamed = parse_haproxy_config("frontend\n", "h.cfg");
    ASSERT_FALSE(unnamed.has_value());
    EXPECT_EQ(unnamed.error().line(), "h.cfg:1:1: 'frontend' needs a name");
}

}  // namespace
}  // namespace kt
