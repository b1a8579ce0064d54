#include "core/profile/profile.hpp"

#include <gtest/gtest.h>

#include <string>

namespace kt {
namespace {

const std::string k_valid = R"({
  "name": "x",
  "summary": "for tests",
  "description": "a valid profile",
  "keepalive": {"enabled": true, "idle_seconds": 60, "interval_seconds": 20, "count": 2},
  "user_timeout_ms": 100000,
  "path": ["aws-nlb-tcp"]
})";

std::string with(std::string text, const std::string& from, const std::string& to) {
    const auto at = text.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return text.replace(at, from.size(), to);
}

Errors errors_of(const std::string& text) {
    auto p = parse_profile(text, "profiles/x.json", middlebox_catalogue());
    EXPECT_FALSE(p.has_value());
    return p ? Errors{} : p.error();
}

// Found by the fuzzer: a number beyond a double escaped the JSON reader as an exception.
TEST(ProfileTest, ANumberTooLargeForADoubleIsAParseError) {
    const auto e = errors_of(with(k_valid, "\"interval_seconds\": 20", "\"interval_seconds\": 1e400"));
    ASSERT_EQ(e.size(), 1u);
    EXPECT_EQ(e[0].what, "profiles/x.json");
    EXPECT_NE(e[0].why.find("not valid JSON: a number is too large"), std::string::npos) << e[0].why;
}

TEST(ProfileTest, AnAbbreviatedKeyGetsASuggestion) {
    const auto e = errors_of(with(k_valid, "\"count\": 2", "\"cnt\": 2"));
    ASSERT_FALSE(e.empty());
    EXPECT_EQ(e[0].line(), "profiles/x.json: /keepalive/cnt: unknown key (did you mean \"count\"?)");
}

TEST(ProfileTest, AWholeNumberWrittenWithAnExponentIsThatInteger) {
    auto p = parse_profile(with(k_valid, "\"interval_seconds\": 20", "\"interval_seconds\": 1e1"), "profiles/x.json",
                           middlebox_catalogue());
    ASSERT_TRUE(p.has_value()) << p.error()[0].line();
    EXPECT_EQ(p->keepalive.interval_seconds, 10u);
    EXPECT_EQ(errors_of(with(k_valid, "\"interval_seconds\": 20", "\"interval_seconds\": 1.5"))[0].line(),
              "profiles/x.json: /keepalive/interval_seconds: expected an integer in 1..32767, got number 1.5");
    EXPECT_EQ(errors_of(with(k_valid, "\"interval_seconds\": 20", "\"interval_seconds\": 4e4"))[0].line(),
              "profiles/x.json: /keepalive/interval_seconds: 40000.0 is out of range 1..32767");
}

TEST(ProfileTest, KeepaliveOffNeedsNoValuesButChecksTheOnesGiven) {
    auto off = parse_profile(with(k_valid, R"("enabled": true, "idle_seconds": 60, "interval_seconds": 20, "count": 2)",
                                  R"("enabled": false)"),
                             "profiles/x.json", middlebox_catalogue());
    ASSERT_TRUE(off.has_value()) << off.error()[0].line();
    EXPECT_FALSE(off->keepalive.enabled);
    const auto e = errors_of(with(k_valid, R"("enabled": true, "idle_seconds": 60)", R"("enabled": false, "idle_seconds": 0)"));
    ASSERT_EQ(e.size(), 1u);
    EXPECT_EQ(e[0].line(), "profiles/x.json: /keepalive/idle_seconds: 0 is out of range 1..32767");
    const auto on = errors_of(with(k_valid, R"("idle_seconds": 60, )", ""));
    EXPECT_EQ(on[0].line(), "profiles/x.json: /keepalive/idle_seconds: required key is missing");
}

TEST(ProfileTest, ParsesEveryFieldOfAValidProfile) {
    auto p = parse_profile(k_valid, "profiles/x.json", middlebox_catalogue());
    ASSERT_TRUE(p.has_value());
    EXPECT_EQ(p->name, "x");
    EXPECT_EQ(p->keepalive, (KeepaliveSettings{true, 60, 20, 2}));
    EXPECT_EQ(p->user_timeout_ms, 100000u);
    EXPECT_EQ(p->path, std::vector<std::string>{"aws-nlb-tcp"});
    EXPECT_EQ(p->source, "profiles/x.json");
}

TEST(ProfileTest, UserTimeoutAndPathAreOptional) {
    const std::string text = R"({"name": "x", "summary": "s", "description": "d",
        "keepalive": {"enabled": false, "idle_seconds": 60, "interval_seconds": 20, "count": 2}})";
    auto p = parse_profile(text, "x.json", middlebox_catalogue());
    ASSERT_TRUE(p.has_value()) << p.error().front().line();
    EXPECT_FALSE(p->user_timeout_ms.has_value());
    EXPECT_TRUE(p->path.empty());
}

TEST(ProfileTest, CountAboveKernelLimitNamesFilePathAndRange) {
    auto e = errors_of(with(k_valid, "\"count\": 2", "\"count\": 128"));
    ASSERT_EQ(e.size(), 1u);
    EXPECT_EQ(e[0].line(), "profiles/x.json: /keepalive/count: 128 is out of range 1..127");
}

TEST(ProfileTest, IdleOfZeroAndAbove32767AreOutOfRange) {
    EXPECT_EQ(errors_of(with(k_valid, "\"idle_seconds\": 60", "\"idle_seconds\": 0"))[0].line(),
              "profiles/x.json: /keepalive/idle_seconds: 0 is out of range 1..32767");
    EXPECT_EQ(errors_of(with(k_valid, "\"interval_seconds\": 20", "\"interval_seconds\": 32768"))[0].line(),
              "profiles/x.json: /keepalive/interval_seconds: 32768 is out of range 1..32767");
}

TEST(ProfileTest, NegativeNumbersAreOutOfRangeNotMistyped) {
    EXPECT_EQ(errors_of(with(k_valid, "\"count\": 2", "\"count\": -1"))[0].line(),
              "profiles/x.json: /keepalive/count: -1 is out of range 1..127");
}

TEST(ProfileTest, UserTimeoutAcceptsZeroAndIntMaxButNotMore) {
    EXPECT_TRUE(parse_profile(with(k_valid, "100000", "0"), "x.json", middlebox_catalogue()).has_value());
    EXPECT_TRUE(parse_profile(with(k_valid, "100000", "2147483647"), "x.json", middlebox_catalogue()).has_value());
    EXPECT_EQ(errors_of(with(k_valid, "100000", "2147483648"))[0].line(),
              "profiles/x.json: /user_timeout_ms: 2147483648 is out of range 0..2147483647");
}

TEST(ProfileTest, WrongTypesSayWhatWasExpectedAndWhatWasFound) {
    auto e = errors_of(with(k_valid, "\"count\": 2", "\"count\": \"2\""));
    ASSERT_EQ(e.size(), 1u);
    EXPECT_EQ(e[0].line(), "profiles/x.json: /keepalive/count: expected an integer in 1..127, got string \"2\"");
    e = errors_of(with(k_valid, "\"idle_seconds\": 60", "\"idle_seconds\": 60.5"));
    EXPECT_EQ(e[0].line(), "profiles/x.json: /keepalive/idle_seconds: expected an integer in 1..32767, got number 60.5");
    e = errors_of(with(k_valid, "\"enabled\": true", "\"enabled\": 1"));
    EXPECT_EQ(e[0].line(), "profiles/x.json: /keepalive/enabled: expected true or false, got number 1");
}

TEST(ProfileTest, MissingRequiredKeysAreEachReported) {
    auto e = errors_of(R"({"name": "x", "keepalive": {"enabled": true}})");
    std::vector<std::string> lines;
    for (const auto& err : e) lines.push_back(err.line());
    EXPECT_EQ(lines, (std::vector<std::string>{
                         "profiles/x.json: /summary: required key is missing",
                         "profiles/x.json: /description: required key is missing",
                         "profiles/x.json: /keepalive/idle_seconds: required key is missing",
                         "profiles/x.json: /keepalive/interval_seconds: required key is missing",
                         "profiles/x.json: /keepalive/count: required key is missing",
                     }));
}

TEST(ProfileTest, UnknownKeySuggestsTheNearestValidKey) {
    auto e = errors_of(with(k_valid, "\"idle_seconds\"", "\"idle_secs\""));
    ASSERT_EQ(e.size(), 2u);  // the unknown key, and the then-missing idle_seconds
    EXPECT_EQ(e[0].line(), "profiles/x.json: /keepalive/idle_secs: unknown key (did you mean \"idle_seconds\"?)");
    e = errors_of(with(k_valid, "\"user_timeout_ms\"", "\"user_timeout\""));
    EXPECT_EQ(e[0].line(), "profiles/x.json: /user_timeout: unknown key (did you mean \"user_timeout_ms\"?)");
}

TEST(ProfileTest, UnknownMiddleboxIdIsRejectedWithASuggestion) {
    auto e = errors_of(with(k_valid, "\"aws-nlb-tcp\"", "\"azure-lbb\""));
    ASSERT_EQ(e.size(), 1u);
    EXPECT_EQ(e[0].what, "profiles/x.json: /path/0");
    EXPECT_NE(e[0].why.find("unknown middlebox \"azure-lbb\" (did you mean \"azure-lb\"?)"), std::string::npos);
}

TEST(ProfileTest, AllProblemsAreReportedNotJustTheFirst) {
    auto text = with(with(with(k_valid, "\"count\": 2", "\"count\": 0"), "\"idle_seconds\": 60", "\"idle_seconds\": -5"),
                     "\"name\": \"x\"", "\"name\": \"Bad Name\"");
    EXPECT_EQ(errors_of(text).size(), 3u);
}

TEST(ProfileTest, TextThatIsNotJsonReportsLineAndColumn) {
    auto e = errors_of("{\n  \"name\": \"x\",\n  oops\n}");
    ASSERT_EQ(e.size(), 1u);
    EXPECT_EQ(e[0].what, "profiles/x.json:3:3");
    EXPECT_TRUE(e[0].why.starts_with("not valid JSON: ")) << e[0].why;
}

TEST(ProfileTest, DuplicateKeysAreRejected) {
    auto e = errors_of(with(k_valid, "\"count\": 2", "\"count\": 2, \"count\": 3"));
    ASSERT_EQ(e.size(), 1u);
    EXPECT_NE(e[0].why.find("duplicate key \"count\""), std::string::npos);
}

TEST(ProfileTest, NonObjectDocumentIsRejected) {
    EXPECT_EQ(errors_of("[1, 2]")[0].line(), "profiles/x.json: /: expected a JSON object, got array [1,2]");
}

TEST(ProfileTest, MultiLineSummaryIsRejected) {
    EXPECT_EQ(errors_of(with(k_valid, "for tests", "two\\nlines"))[0].line(), "profiles/x.json: /summary: must be one line");
}

TEST(ProfileTest, PathsAndNamesAreToldApart) {
    EXPECT_TRUE(looks_like_profile_path("./x.json"));
    EXPECT_TRUE(looks_like_profile_path("x.json"));
    EXPECT_TRUE(looks_like_profile_path("/etc/p/aws"));
    EXPECT_FALSE(looks_like_profile_path("aws-nlb"));
}

}  // namespace
}  // namespace kt
