#include "core/health/probe.hpp"

#include <gtest/gtest.h>

namespace kt {
namespace {

TEST(ProbeTest, IdlesAreDistinctWholeSecondsSpreadUpToTheMaximum) {
    EXPECT_EQ(spread_idles(0, 900, 12), (std::vector<std::uint32_t>{75, 150, 225, 300, 375, 450, 525, 600, 675, 750, 825, 900}));
    EXPECT_EQ(spread_idles(0, 8, 8), (std::vector<std::uint32_t>{1, 2, 3, 4, 5, 6, 7, 8}));
    EXPECT_EQ(spread_idles(0, 3, 12), (std::vector<std::uint32_t>{1, 2, 3}));  // never the same second twice
    EXPECT_EQ(spread_idles(300, 375, 4), (std::vector<std::uint32_t>{319, 338, 356, 375}));
    EXPECT_TRUE(spread_idles(5, 5, 3).empty());
}

TEST(ProbeTest, AnAnsweredFirstProbeSurvivesAnUnansweredOneIsSilent) {
    std::uint64_t at = 0;
    // Before its idle: waiting, even with old ACKs.
    EXPECT_EQ(decide_probe({1, 0, 0, 2500}, 2500, 3, at), ProbeFate::waiting);
    // The probe left at 3 s; an ACK 100 ms later answered it.
    EXPECT_EQ(decide_probe({1, 0, 0, 100}, 3200, 3, at), ProbeFate::survived);
    EXPECT_EQ(at, 3100u);
    // Out and unanswered: not yet silent within its second, silent after.
    EXPECT_EQ(decide_probe({1, 0, 1, 3500}, 3500, 3, at), ProbeFate::waiting);
    EXPECT_EQ(decide_probe({1, 0, 2, 4100}, 4100, 3, at), ProbeFate::silent);
    // A reset, however it came; the kernel giving up is silent too.
    EXPECT_EQ(decide_probe({7, 104, 0, 0}, 3100, 3, at), ProbeFate::reset);
    EXPECT_EQ(decide_probe({7, 110, 0, 0}, 9000, 3, at), ProbeFate::silent);
}

TEST(ProbeTest, AFinBeforeTheFirstProbeIsTheFarEndClosingAndSaysWhen) {
    std::uint64_t at = 0;
    EXPECT_EQ(decide_probe({8, 0, 0, 300}, 2300, 5, at), ProbeFate::closed);
    EXPECT_EQ(at, 2000u);
}

TEST(ProbeTest, FindingsBracketTheTimeoutBetweenTheLongestSurvivorAndTheShortestFailure) {
    const std::vector<ProbeResult> r = {{1, ProbeFate::survived, 1000}, {2, ProbeFate::survived, 2000},
                                        {4, ProbeFate::reset, 4000},    {5, ProbeFate::reset, 5000},
                                        {3, ProbeFate::silent, 4000}};
    const auto f = probe_findings(r);
    EXPECT_EQ(f.survived_s, 2u);
    EXPECT_EQ(f.failed_s, 3u);
    EXPECT_EQ(f.drop, ProbeFate::reset);
    EXPECT_TRUE(narrowing_round(f, 8, 12).empty()) << "as narrow as whole seconds allow";
    const auto wide = probe_findings(std::vector<ProbeResult>{{300, ProbeFate::survived, 0}, {375, ProbeFate::silent, 0}});
    const auto next = narrowing_round(wide, 900, 12);
    ASSERT_FALSE(next.empty());
    EXPECT_GT(next.front(), 300u);
    EXPECT_LT(next.back(), 375u);
    EXPECT_LE(next.size(), 12u);
}

TEST(ProbeTest, TheConclusionNamesTheMiddleboxesThatFitAndTheProfilesThatBeatIt) {
    ProbeFindings f;
    f.survived_s = 340;
    f.failed_s = 360;
    f.drop = ProbeFate::silent;
    Profile quick, slow;
    quick.name = "aws-nlb";
    quick.keepalive = {true, 240, 30, 4};
    slow.name = "linux-default";
    slow.keepalive = {true, 7200, 75, 9};
    const std::vector<Profile> profiles = {quick, slow};
    const auto c = conclude_probe(f, 900, middlebox_catalogue(), profiles);
    EXPECT_TRUE(c.measured);
    EXPECT_EQ(c.bracket, "between 5m40s and 6m");
    EXPECT_NE(std::find(c.matching_middleboxes.begin(), c.matching_middleboxes.end(), "aws-nlb-tcp"), c.matching_middleboxes.end());
    EXPECT_EQ(c.profiles_that_beat, std::vector<std::string>{"aws-nlb"});
    EXPECT_NE(c.notes[0].find("black-holed"), std::string::npos);

    ProbeFindings none;
    none.survived_s = 900;
    const auto nc = conclude_probe(none, 900, middlebox_catalogue(), profiles);
    EXPECT_EQ(nc.bracket, "none up to 15m");
    EXPECT_EQ(nc.headline, "no idle timeout up to 15m: every connection's flow was still known after its idle (--max 15m)");
    EXPECT_EQ(nc.limit, ProbeLimit::none);
    EXPECT_EQ(nc.profiles_line.find("none"), std::string::npos) << "every profile works where nothing forgets";

    ProbeFindings closed;
    closed.closed = 12;
    closed.far_end_close_ms = 60'000;
    const auto cc = conclude_probe(closed, 900, middlebox_catalogue(), profiles);
    EXPECT_FALSE(cc.measured);
    EXPECT_EQ(cc.limit, ProbeLimit::far_end);
    EXPECT_NE(cc.notes[0].find("closed by the far end after about 1m"), std::string::npos) << cc.notes[0];
}

TEST(ProbeTest, AFarEndThatClosesSomeConnectionsIsTheLimitNotAnEmptyPath) {
    ProbeFindings f;
    f.survived_s = 3;
    f.closed = 3;
    f.far_end_close_ms = 6'000;
    Profile quick;
    quick.name = "fast-failover";
    quick.keepalive = {true, 2, 1, 3};
    const std::vector<Profile> profiles = {quick};
    const auto c = conclude_probe(f, 12, middlebox_catalogue(), profiles);
    EXPECT_TRUE(c.measured);
    EXPECT_EQ(c.limit, ProbeLimit::far_end);
    EXPECT_EQ(c.headline.find("every connection's flow was still known"), std::string::npos) << c.headline;
    EXPECT_NE(c.headline.find("closed the 3 connection(s) with longer idles after about 6s"), std::string::npos) << c.headline;
    EXPECT_TRUE(c.profiles_that_beat.empty()) << "keepalive cannot beat the server's own close";
}

TEST(ProbeTest, AnInterruptedRunSaysSoAndNotThatTheFarEndClosed) {
    ProbeFindings nothing;
    const auto c = conclude_probe(nothing, 30, middlebox_catalogue(), {}, true);
    EXPECT_FALSE(c.measured);
    EXPECT_EQ(c.limit, ProbeLimit::interrupted);
    EXPECT_EQ(c.headline, "idle timeout not measured: interrupted before any connection's first keepalive probe");
    ProbeFindings some;
    some.survived_s = 4;
    EXPECT_NE(conclude_probe(some, 30, middlebox_catalogue(), {}, true).headline.find("interrupted before --max 30s"),
              std::string::npos);
}

}  // namespace
}  // namespace kt
