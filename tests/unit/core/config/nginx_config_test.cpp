#include "core/config/nginx_config.hpp"

#include <gtest/gtest.h>

#include <map>

namespace kt {
namespace {

std::vector<NginxDirective> parse_ok(std::string_view text) {
    auto r = parse_nginx_text(text, "t.conf");
    EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().line());
    return r ? *r : std::vector<NginxDirective>{};
}

std::string error_of(std::string_view text) {
    auto r = parse_nginx_text(text, "t.conf");
    EXPECT_FALSE(r.has_value()) << text;
    return r ? "" : r.error().line();
}

TEST(NginxConfigTest, SplitsDirectivesAndBlocksWithPositions) {
    const auto top = parse_ok("events {}\nhttp {\n    server {\n        listen 80;\n    }\n}\n");
    ASSERT_EQ(top.size(), 2u);
    EXPECT_EQ(top[0].name, "events");
    EXPECT_TRUE(top[0].has_block);
    EXPECT_TRUE(top[0].block.empty());
    const auto& listen = top[1].block.at(0).block.at(0);
    EXPECT_EQ(listen.name, "listen");
    EXPECT_EQ(listen.args, std::vector<std::string>{"80"});
    EXPECT_EQ(listen.at.line, 4u);
    EXPECT_EQ(listen.at.column, 9u);
    EXPECT_EQ(listen.at.file_line_column(), "t.conf:4:9");
}

// `listen 8080` with its ";" missing before `location / {`: the error nginx -t gives, at the "{".
TEST(NginxConfigTest, ADirectiveThatTakesNoBlockBeforeABlockIsTheMissingSemicolon) {
    EXPECT_EQ(error_of("http {\n    server {\n        listen 8080\n        location / {\n        }\n    }\n}\n"),
              "t.conf:4:20: directive \"listen\" is not terminated by \";\"");
    // A module's own block directive is nginx's to judge.
    parse_ok("http {\n    server {\n        content_by_lua_block {\n        }\n    }\n}\n");
}

TEST(NginxConfigTest, UnquotesAndUnescapesAsNginxDoes) {
    const auto top = parse_ok(R"(a "x y" 'it\'s' "q\"uote" 'tab\t' back\\slash keep\d "semi;{}";)");
    ASSERT_EQ(top.size(), 1u);
    EXPECT_EQ(top[0].args, (std::vector<std::string>{"x y", "it's", "q\"uote", "tab\t", "back\\slash", "keep\\d",
                                                      "semi;{}"}));
}

TEST(NginxConfigTest, CommentsStartOnlyAtAWord) {
    const auto top = parse_ok("a b#c; # the rest ; { is a comment\nd \"#e\";\n");
    ASSERT_EQ(top.size(), 2u);
    EXPECT_EQ(top[0].args, std::vector<std::string>{"b#c"});
    EXPECT_EQ(top[1].args, std::vector<std::string>{"#e"});
    EXPECT_EQ(top[1].at.line, 2u);
}

TEST(NginxConfigTest, BraceAfterDollarIsAVariableNotABlock) {
    const auto top = parse_ok("set $x ${host}_suffix;\nif ($x = \"a\") { return 404; }\n");
    ASSERT_EQ(top.size(), 2u);
    EXPECT_EQ(top[0].args, (std::vector<std::string>{"$x", "${host}_suffix"}));
    EXPECT_TRUE(top[1].has_block);
    EXPECT_EQ(top[1].args, (std::vector<std::string>{"($x", "=", "a"}));
}

TEST(NginxConfigTest, NestsLocationsInsideLocations) {
    const auto top = parse_ok("server { location /a { location /a/b { proxy_pass http://x; } } }");
    EXPECT_EQ(top.at(0).block.at(0).block.at(0).block.at(0).name, "proxy_pass");
}

TEST(NginxConfigTest, ReportsSyntaxErrorsWithFileLineAndColumn) {
    EXPECT_EQ(error_of("http {\n  listen 80;\n"), "t.conf:3:1: unexpected end of file, expecting \"}\" (block opened at 1:1)");
    EXPECT_EQ(error_of("listen 80;\n}\n"), "t.conf:2:1: unexpected \"}\"");
    EXPECT_EQ(error_of("a \"unterminated;\n"), "t.conf:2:1: unexpected end of file, expecting \";\" or \"}\"");
    EXPECT_EQ(error_of("a \"x\"y;"), "t.conf:1:6: unexpected \"y\"");
    EXPECT_EQ(error_of("  ;"), "t.conf:1:3: unexpected \";\"");
    EXPECT_EQ(error_of("a 'x''y';"), "t.conf:1:6: unexpected \"'\"");
    EXPECT_EQ(error_of("listen 80"), "t.conf:1:10: unexpected end of file, expecting \";\" or \"}\"");
    EXPECT_EQ(error_of("a { b }"), "t.conf:1:7: unexpected \"}\"");
}

// A resolver over an in-memory tree, recording what it was asked.
struct FakeFiles {
    std::map<std::string, std::string> files;
    std::vector<std::string> asked;
    IncludeResolver resolver() {
        return [this](std::string_view pattern, std::string_view from) -> Result<std::vector<ConfigFile>> {
            asked.push_back(std::string(pattern) + " from " + std::string(from));
            std::vector<ConfigFile> out;
            const auto star = pattern.find('*');
            for (const auto& [path, text] : files) {
                const bool match = star == std::string_view::npos
                                       ? path == pattern
                                       : path.starts_with(pattern.substr(0, star)) &&
                                             path.ends_with(pattern.substr(star + 1));
                if (match) out.push_back({path, text});
            }
            if (out.empty() && star == std::string_view::npos)
                return fail(std::string(pattern), "No such file or directory");
            return out;
        };
    }
};

TEST(NginxConfigTest, IncludesGlobsInNameOrderWithTheirOwnPositions) {
    FakeFiles fs;
    fs.files = {{"conf.d/b.conf", "server {\n  listen 81;\n}\n"}, {"conf.d/a.conf", "\n\nserver { listen 80; }\n"}};
    auto r = parse_nginx_config("http {\n    include conf.d/*.conf;\n}\n", "nginx.conf", fs.resolver());
    ASSERT_TRUE(r.has_value()) << r.error().line();
    const auto& http = r->top.at(0).block;
    ASSERT_EQ(http.size(), 2u);
    EXPECT_EQ(http[0].at.file_line(), "conf.d/a.conf:3");
    EXPECT_EQ(http[1].block.at(0).at.file_line_column(), "conf.d/b.conf:2:3");
    EXPECT_EQ(r->files, (std::vector<std::string>{"nginx.conf", "conf.d/a.conf", "conf.d/b.conf"}));
    EXPECT_EQ(fs.asked, std::vector<std::string>{"conf.d/*.conf from nginx.conf"});
}

TEST(NginxConfigTest, AMissingIncludeAndASyntaxErrorInsideOneNameTheirPlace) {
    FakeFiles fs;
    fs.files = {{"bad.conf", "server {\n  listen 80\n"}};
    auto missing = parse_nginx_config("include nope.conf;", "nginx.conf", fs.resolver());
    ASSERT_FALSE(missing.has_value());
    EXPECT_EQ(missing.error().line(), "nginx.conf:1:1: nope.conf: No such file or directory");
    auto bad = parse_nginx_config("http {\n include bad.conf;\n}", "nginx.conf", fs.resolver());
    ASSERT_FALSE(bad.has_value());
    EXPECT_EQ(bad.error().line(), "bad.conf:3:1: unexpected end of file, expecting \";\" or \"}\"");
}

TEST(NginxConfigTest, AFileIncludingItselfStops) {
    FakeFiles fs;
    fs.files = {{"loop.conf", "include loop.conf;\n"}};
    auto r = parse_nginx_config("include loop.conf;", "nginx.conf", fs.resolver());
    ASSERT_FALSE(r.has_value());
    EXPECT_NE(r.error().line().find("nested deeper than"), std::string::npos) << r.error().line();
}

}  // namespace
}  // namespace kt
