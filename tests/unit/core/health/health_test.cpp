#include "core/health/health.hpp"

#include <gtest/gtest.h>
#include <linux/inet_diag.h>
#include <linux/tcp.h>

#include "core/health/health_rollup.hpp"
#include "core/profile/network_path.hpp"
#include "core/socket/diag_parse.hpp"
#include "core/socket/ip_text.hpp"
#include "core/socket/tcp_state.hpp"
#include "core/text/duration.hpp"
#include "support/diag_bytes.hpp"

namespace kt {
namespace {

SocketRecord established(std::uint32_t idle_ms) {
    SocketRecord s;
    s.state = static_cast<std::uint8_t>(TcpState::established);
    s.local = {*parse_ip_address("10.0.0.5"), 41000};
    s.peer = {*parse_ip_address("10.0.1.9"), 5432};
    s.has_info = true;
    s.info.last_data_sent_ms = idle_ms;
    s.info.last_data_recv_ms = idle_ms;
    s.info.last_ack_recv_ms = idle_ms;
    s.info.peer_probe_ms = k_no_peer_probe;  // as the BPF iterator sees it: no probe from the peer
    return s;
}

NetworkPath path_of(const char* list) { return *parse_path_list(list, "--path", middlebox_catalogue()); }

HealthJudgement judge(const SocketRecord& s, const NetworkPath& p, const SocketOptions* exact = nullptr) {
    return judge_connection(s, {&p, exact, {}});
}

TEST(HealthTest, IdleLongerThanAMiddleboxTimeoutIsLikelyDroppedAgainstTheShortestOne) {
    const auto p = path_of("aws-nlb-tcp,short=300s");
    const auto j = judge(established(400'000), p);
    EXPECT_EQ(j.verdict, HealthVerdict::likely_dropped);
    ASSERT_NE(j.hop, nullptr);
    EXPECT_EQ(j.hop->name, "short");
    EXPECT_EQ(j.idle_ms, 400'000u);
    EXPECT_NE(j.reason.find("longer than the 5m idle timeout of short"), std::string::npos) << j.reason;
}

TEST(HealthTest, PastHalfTheTimeoutWithNothingToRefreshItIsAtRisk) {
    const auto p = path_of("aws-nlb-tcp");
    auto off = established(200'000);  // keepalive off: no timer
    auto j = judge(off, p);
    EXPECT_EQ(j.verdict, HealthVerdict::at_risk);
    EXPECT_EQ(j.deadline_ms, 150'000u);
    EXPECT_NE(j.reason.find("keepalive is off"), std::string::npos) << j.reason;
    EXPECT_EQ(judge(established(100'000), p).verdict, HealthVerdict::ok) << "under half the timeout";

    auto soon = established(200'000);
    soon.timer = DiagTimer::keepalive;
    soon.expires_ms = 60'000;  // probe at 260 s of idleness, before 350 s
    EXPECT_EQ(judge(soon, p).verdict, HealthVerdict::ok);
    auto late = soon;
    late.expires_ms = 200'000;  // probe at 400 s: too late
    EXPECT_EQ(judge(late, p).verdict, HealthVerdict::at_risk);
}

TEST(HealthTest, KeepaliveDoesNotSaveAConnectionThroughAMiddleboxItDoesNotRefresh) {
    const auto p = path_of("aws-alb");  // 60 s, HTTP traffic only
    auto s = established(40'000);
    s.timer = DiagTimer::keepalive;
    s.expires_ms = 1'000;
    const auto j = judge(s, p);
    EXPECT_EQ(j.verdict, HealthVerdict::at_risk);
    EXPECT_NE(j.reason.find("not refreshed by keepalive"), std::string::npos) << j.reason;
}

// The accepted side of a connection whose client probes: tcp_info's receive times stand still
// (the kernel drops the probes as out of window), but the hop is refreshed all the same.
TEST(HealthTest, ProbesFromThePeerKeepAHopThatKeepaliveRefreshes) {
    const auto p = path_of("aws-nlb-tcp,corp-fw=60s");
    auto s = established(400'000);
    s.info.peer_probe_ms = 1'000;
    EXPECT_EQ(judge(s, p).verdict, HealthVerdict::ok) << judge(s, p).reason;
    s.info.peer_probe_ms = 50'000;  // the last one 50 s ago: past half of corp-fw's minute
    EXPECT_EQ(judge(s, p).verdict, HealthVerdict::at_risk);
    s.info.peer_probe_ms = 70'000;  // none for longer than corp-fw keeps a flow
    const auto j = judge(s, p);
    EXPECT_EQ(j.verdict, HealthVerdict::likely_dropped);
    EXPECT_NE(j.reason.find("keepalive probes from the peer included"), std::string::npos) << j.reason;

    // An L7 load balancer is refreshed by data only: probes do not keep its connection.
    auto behind_alb = established(70'000);
    behind_alb.info.peer_probe_ms = 1'000;
    EXPECT_EQ(judge(behind_alb, path_of("aws-alb")).verdict, HealthVerdict::likely_dropped);
}

// Where the peer's probes cannot be seen (tcp_info alone), nothing says whether a hop that
// keepalive refreshes still keeps the flow: unverified, never likely-dropped or at-risk.
TEST(HealthTest, WithoutSightOfThePeersProbesAnIdleConnectionIsUnverified) {
    const auto p = path_of("corp-fw=60s");
    auto s = established(400'000);
    s.info.peer_probe_ms.reset();
    auto j = judge(s, p);
    EXPECT_EQ(j.verdict, HealthVerdict::unverified);
    ASSERT_NE(j.hop, nullptr);
    EXPECT_EQ(j.hop->name, "corp-fw");
    EXPECT_NE(j.reason.find("--engine bpf"), std::string::npos) << j.reason;
    EXPECT_FALSE(j.deadline_ms);
    s = established(40'000);
    s.info.peer_probe_ms.reset();
    EXPECT_EQ(judge(s, p).verdict, HealthVerdict::unverified) << "past half the timeout";
    // A hop keepalive does not refresh is judged on tcp_info alone, as before.
    auto alb = established(70'000);
    alb.info.peer_probe_ms.reset();
    EXPECT_EQ(judge(alb, path_of("aws-alb")).verdict, HealthVerdict::likely_dropped);
    EXPECT_EQ(*parse_verdict_list("unverified", "--verdict"), verdict_bit(HealthVerdict::unverified));
}

// A connect() to a black hole: tcp_info's times count from nothing, so the age comes from the
// SYN's backoff, and connect() gives up at tcp_syn_retries, not tcp_retries2.
TEST(HealthTest, AConnectStuckInSynSentHasItsAgeAndTheSynRetriesBound) {
    auto s = established(3'113'556);  // what tcp_info says of a socket that never sent data
    s.state = static_cast<std::uint8_t>(TcpState::syn_sent);
    s.info.unacked = 1;
    s.info.retransmits = 3;
    s.info.backoff = 3;
    s.info.rto_us = 8'000'000;  // 1 s doubled three times
    const auto j = judge(s, path_of("aws-nlb-tcp"));
    EXPECT_EQ(j.verdict, HealthVerdict::retransmitting);
    EXPECT_EQ(j.idle_ms, 7'000u) << "1 + 2 + 4 s of retransmissions";
    EXPECT_EQ(j.limit_ms, 127'000u);
    EXPECT_EQ(j.deadline_ms, 120'000u);
    EXPECT_FALSE(j.limit_is_user_timeout);
    EXPECT_NE(j.reason.find("tcp_syn_retries=6 bound 2m7s"), std::string::npos) << j.reason;
    EXPECT_EQ(syn_retries_timeout_ms(6), 127'000u);
    EXPECT_EQ(syn_retries_timeout_ms(8), 127'000u + 240'000u);
    SocketOptions exact;
    exact.user_timeout_ms = 10'000;
    EXPECT_EQ(judge(s, path_of("aws-nlb-tcp"), &exact).deadline_ms, 3'000u);
    // Its first SYN only: nothing to judge yet.
    s.info.retransmits = 0;
    EXPECT_EQ(judge(s, path_of("aws-nlb-tcp")).verdict, HealthVerdict::ok);
    EXPECT_EQ(judge(s, path_of("aws-nlb-tcp")).idle_ms, 0u);
}

TEST(HealthTest, CloseWaitIsPeerClosedWithHowLongItWasIdleBeforeTheFin) {
    auto s = established(0);
    s.state = static_cast<std::uint8_t>(TcpState::close_wait);
    s.info.last_data_sent_ms = 9'000;
    s.info.last_data_recv_ms = 9'500;
    s.info.last_ack_recv_ms = 4'000;  // the FIN
    const auto j = judge(s, path_of("aws-nlb-tcp"));
    EXPECT_EQ(j.verdict, HealthVerdict::peer_closed);
    EXPECT_EQ(idle_before_peer_close_ms(s), 5'000u);
}

TEST(HealthTest, RetransmittingGivesUpAtTheUserTimeoutOrTheRetriesBound) {
    auto s = established(0);
    s.info.unacked = 2;
    s.info.retransmits = 3;
    s.info.backoff = 3;
    s.info.rto_us = 1'600'000;          // 200 ms doubled three times
    s.info.last_data_sent_ms = 600;     // the third retransmission
    s.info.last_ack_recv_ms = 60'000;   // idle for a minute before the data went out
    const NetworkPath none;
    auto bound = judge(s, none);
    EXPECT_EQ(bound.verdict, HealthVerdict::retransmitting);
    EXPECT_EQ(bound.limit_ms, 924'600u);
    EXPECT_FALSE(bound.limit_is_user_timeout);
    EXPECT_EQ(bound.deadline_ms, 922'600u);
    const SocketOptions uto{false, 7200, 75, 9, 5'000};
    auto with_uto = judge(s, none, &uto);
    EXPECT_EQ(with_uto.limit_ms, 5'000u);
    EXPECT_TRUE(with_uto.limit_is_user_timeout);
    EXPECT_EQ(with_uto.deadline_ms, 3'000u);
    EXPECT_NE(with_uto.reason.find("TCP_USER_TIMEOUT 5s"), std::string::npos) << with_uto.reason;
}

TEST(HealthTest, RetriesBoundFollowsTheKernelsModel) {
    EXPECT_EQ(retries_timeout_ms(15), 924'600u);
    EXPECT_EQ(retries_timeout_ms(5), 12'600u);
    EXPECT_EQ(retries_timeout_ms(9), 204'600u);
    EXPECT_EQ(retries_timeout_ms(10), 324'600u);
}

TEST(HealthTest, UnansweredProbesAreProbingWithWhenTheConnectionWillBeDeclaredDead) {
    auto s = established(5'000);
    s.timer = DiagTimer::keepalive;
    s.retrans = 2;
    s.expires_ms = 1'000;
    const SocketOptions ka{true, 2, 1, 3, 0};
    const NetworkPath none;
    const auto j = judge(s, none, &ka);
    EXPECT_EQ(j.verdict, HealthVerdict::probing);
    EXPECT_EQ(j.deadline_ms, 2'000u);  // third probe at 1 s, declared dead at the firing after
    EXPECT_NE(j.reason.find("2 of 3 keepalive probes unanswered"), std::string::npos) << j.reason;
}

TEST(HealthTest, VerdictListsAndDurationsAreCheckedWithTheNearestName) {
    EXPECT_EQ(parse_verdict_list("peer-closed,likely-dropped", "--verdict").value(),
              verdict_bit(HealthVerdict::peer_closed) | verdict_bit(HealthVerdict::likely_dropped));
    EXPECT_EQ(parse_verdict_list("peer-closd", "--verdict").error().line(),
              "--verdict peer-closd: unknown verdict (did you mean \"peer-closed\"?); one of ok, at-risk, likely-dropped, "
              "peer-closed, retransmitting, probing, unverified");
    EXPECT_EQ(parse_duration_ms("90s").value(), 90'000u);
    EXPECT_EQ(parse_duration_ms("5m").value(), 300'000u);
    EXPECT_EQ(parse_duration_ms("350").value(), 350'000u);
    EXPECT_EQ(parse_duration_ms("500ms").value(), 500u);
    EXPECT_EQ(parse_duration_ms("1h").value(), 3'600'000u);
    for (const char* bad : {"", "s", "-5s", "5 m", "5d", "0x10", "1m30", "5s5m", "1m1m", ".5s", "1.s", "1.0001s", "1h-5m"})
        EXPECT_FALSE(parse_duration_ms(bad).has_value()) << bad;
    EXPECT_FALSE(parse_duration_ms("999999h").has_value());
    EXPECT_FALSE(parse_duration_ms("719h60m1s").has_value());
}

TEST(HealthTest, DurationsTheToolPrintsCanBeTypedBack) {
    EXPECT_EQ(parse_duration_ms("5m30s").value(), 330'000u);
    EXPECT_EQ(parse_duration_ms("1h30m").value(), 5'400'000u);
    EXPECT_EQ(parse_duration_ms("1.5s").value(), 1'500u);
    EXPECT_EQ(parse_duration_ms("0.25h").value(), 900'000u);
    EXPECT_EQ(parse_duration_ms("2s500ms").value(), 2'500u);
    for (std::uint64_t ms : {0ull, 5ull, 999ull, 1'000ull, 1'500ull, 59'900ull, 60'000ull, 62'000ull, 350'000ull,
                             3'599'000ull, 3'600'000ull, 7'199'000ull, 86'400'000ull})
        EXPECT_EQ(parse_duration_ms(format_duration_ms(ms)).value(), ms) << format_duration_ms(ms);
}

TEST(HealthTest, PathListsTakeIdsAndAdHocEntriesAndReportEveryUnknownOne) {
    const auto p = path_of("aws-nlb-tcp,corp-fw=1800s");
    ASSERT_EQ(p.size(), 2u);
    EXPECT_EQ(p[0].idle_timeout_ms, 350'000u);
    EXPECT_EQ(p[1].name, "corp-fw");
    EXPECT_EQ(p[1].idle_timeout_ms, 1'800'000u);
    EXPECT_TRUE(p[1].refreshed_by_keepalive);
    auto bad = parse_path_list("nope,aws-nlb,fw=soon,=5s,zero=0", "--path", middlebox_catalogue());
    ASSERT_FALSE(bad.has_value());
    ASSERT_EQ(bad.error().size(), 5u);
    EXPECT_EQ(bad.error()[1].line(),
              "--path aws-nlb: unknown middlebox (did you mean \"aws-nlb-tcp\"?); `keepalive-tune profile middleboxes` lists "
              "them, or give NAME=DURATION");
    EXPECT_NE(bad.error()[2].why.find("is not a duration"), std::string::npos);
}

TEST(HealthTest, PathsFilesMapPeersToPathsAndTheMostSpecificCidrWins) {
    auto rules = parse_paths_file(R"({"paths": [{"cidr": "10.0.0.0/8", "path": ["aws-nlb-tcp"]},
                                                {"cidr": "10.0.1.0/24", "path": ["corp-fw=1800s"]}]})",
                                  "paths.json", middlebox_catalogue());
    ASSERT_TRUE(rules.has_value()) << rules.error()[0].line();
    const auto* r = match_path(*rules, *parse_ip_address("10.0.1.9"));
    ASSERT_NE(r, nullptr);
    EXPECT_EQ(r->path[0].name, "corp-fw");
    EXPECT_EQ(match_path(*rules, *parse_ip_address("10.9.9.9"))->path[0].name, "aws-nlb-tcp");
    EXPECT_EQ(match_path(*rules, *parse_ip_address("::ffff:10.9.9.9"))->path[0].name, "aws-nlb-tcp");
    EXPECT_EQ(match_path(*rules, *parse_ip_address("192.168.1.1")), nullptr);

    auto broken = parse_paths_file(R"({"paths": [{"cidr": "10.0.0.0/40", "path": ["nope"], "pth": 1}], "extra": 1})",
                                   "p.json", middlebox_catalogue());
    ASSERT_FALSE(broken.has_value());
    std::string all;
    for (const auto& e : broken.error()) all += e.line() + "\n";
    EXPECT_NE(all.find("p.json: /extra: unknown key"), std::string::npos) << all;
    EXPECT_NE(all.find("p.json: /paths/0/pth: unknown key (did you mean \"path\"?)"), std::string::npos) << all;
    EXPECT_NE(all.find("p.json: /paths/0/cidr: "), std::string::npos) << all;
    EXPECT_NE(all.find("p.json: /paths/0/path/0: nope: unknown middlebox"), std::string::npos) << all;
    EXPECT_FALSE(parse_paths_file("[1]", "p.json", middlebox_catalogue()).has_value());
    EXPECT_EQ(parse_paths_file("{", "p.json", middlebox_catalogue()).error()[0].what.rfind("p.json:1:", 0), 0u);
}

TEST(HealthTest, RollupsListTheWorstGroupsFirstAndSumTheRest) {
    HealthRollup r;
    auto s = established(0);
    for (int i = 0; i < 5; ++i) {
        s.peer.port = static_cast<std::uint16_t>(5000 + i);
        for (int k = 0; k <= i; ++k) r.count(destination_of(s, SocketRole::upstream), HealthVerdict::ok);
    }
    s.peer.port = 6000;
    r.count(destination_of(s, SocketRole::upstream), HealthVerdict::peer_closed);
    const auto top = r.destinations(2);
    ASSERT_EQ(top.size(), 3u);
    EXPECT_EQ(top[0].label, "10.0.1.9:6000");  // not ok comes first
    EXPECT_EQ(top[1].label, "10.0.1.9:5004");
    EXPECT_EQ(top[2].label, "other");
    EXPECT_EQ(top[2].counts.total(), 1u + 2 + 3 + 4);
    EXPECT_EQ(r.totals().total(), 16u);
    EXPECT_EQ(destination_label(destination_of(s, SocketRole::accepted)), "clients of :41000");
}

TEST(HealthTest, TheNodesRollupIsTheSumOfTheNamespacesCountedOnce) {
    HealthRollup first, second, node;
    auto s = established(0);
    s.peer.port = 5432;
    first.count(destination_of(s, SocketRole::upstream), HealthVerdict::ok);
    first.count(destination_of(s, SocketRole::upstream), HealthVerdict::likely_dropped);
    second.count(destination_of(s, SocketRole::upstream), HealthVerdict::likely_dropped);
    s.peer.port = 6379;
    second.count(destination_of(s, SocketRole::upstream), HealthVerdict::ok);
    node.add_destinations(first);
    node.add_destinations(second);
    EXPECT_EQ(node.totals().total(), 4u);
    EXPECT_EQ(node.totals().n[static_cast<std::size_t>(HealthVerdict::likely_dropped)], 2u);
    const auto top = node.destinations(10);
    ASSERT_EQ(top.size(), 2u);
    EXPECT_EQ(top[0].label, "10.0.1.9:5432");
    EXPECT_EQ(top[0].counts.total(), 3u);
    EXPECT_EQ(top[0].counts.n[static_cast<std::size_t>(HealthVerdict::likely_dropped)], 2u);
    EXPECT_EQ(top[1].counts.total(), 1u);
    // The namespaces' own roll-ups are unchanged.
    EXPECT_EQ(first.totals().total(), 2u);
}

TEST(HealthTest, PeerClosingAdviceIsAnEstimateWhenConnectionsAgreeAndABoundWhenNot) {
    PeerClosing p{812, "pgbouncer", "10.0.1.9:5432", 3, 3, 5'000, 5'400};
    auto text = peer_closing_advice(p);
    EXPECT_NE(text.find("the peer closes connections idle for about 5s (estimated from 3 connection(s))"), std::string::npos) << text;
    EXPECT_NE(text.find("lower the pool's idle timeout below 5s"), std::string::npos) << text;
    p.idle_max_ms = 60'000;
    text = peer_closing_advice(p);
    EXPECT_NE(text.find("(a bound: at least one closes as early as 5s)"), std::string::npos) << text;
}

TEST(HealthTest, TcpInfoIsReadFromTheDumpAndNotForListeners) {
    tcp_info info{};
    info.tcpi_retransmits = 2;
    info.tcpi_probes = 1;
    info.tcpi_unacked = 3;
    info.tcpi_last_data_sent = 1111;
    info.tcpi_last_data_recv = 2222;
    info.tcpi_last_ack_recv = 3333;
    info.tcpi_total_retrans = 7;
    test::Bytes raw;
    test::append_raw(raw, &info, sizeof info);
    const auto attrs = test::attribute(INET_DIAG_INFO, raw);
    // A short tcp_info (an older kernel's) is read as far as it goes.
    const auto short_attrs = test::attribute(INET_DIAG_INFO, test::Bytes(raw.begin(), raw.begin() + 48));
    const auto bytes = test::concat({test::message({SOCK_DIAG_BY_FAMILY, NLM_F_MULTI, 0, test::socket_payload(1, 1, 2, 0, 10, attrs)}),
                                     test::message({SOCK_DIAG_BY_FAMILY, NLM_F_MULTI, 0, test::socket_payload(10, 3, 0, 0, 11, attrs)}),
                                     test::message({SOCK_DIAG_BY_FAMILY, NLM_F_MULTI, 0, test::socket_payload(1, 4, 5, 0, 12, short_attrs)}),
                                     test::done_message()});
    struct Collect : SocketSink {
        std::vector<SocketRecord> got;
        void on_socket(const SocketRecord& s) override { got.push_back(s); }
    } sink;
    DiagProgress progress;
    ASSERT_TRUE(parse_diag_chunk(bytes, {}, sink, progress).has_value());
    ASSERT_EQ(sink.got.size(), 3u);
    const auto& e = sink.got[0];
    ASSERT_TRUE(e.has_info);
    EXPECT_EQ(e.info.retransmits, 2);
    EXPECT_EQ(e.info.probes, 1);
    EXPECT_EQ(e.info.unacked, 3u);
    EXPECT_EQ(e.info.last_data_sent_ms, 1111u);
    EXPECT_EQ(e.info.last_data_recv_ms, 2222u);
    EXPECT_EQ(e.info.last_ack_recv_ms, 3333u);
    EXPECT_EQ(e.info.total_retrans, 7u);
    EXPECT_EQ(e.info.idle_ms(), 1111u);
    EXPECT_FALSE(sink.got[1].has_info) << "a listener's tcp_info says nothing about idleness";
    EXPECT_TRUE(sink.got[2].has_info);
    EXPECT_EQ(sink.got[2].info.last_data_sent_ms, 1111u);
    EXPECT_EQ(sink.got[2].info.last_data_recv_ms, 0u) << "beyond the short attribute";
}

}  // namespace
}  // namespace kt

namespace kt {
namespace {
TEST(HealthTest, OrphansAreFilelessClosingConnectionsOnly) {
    SocketRecord s;
    s.state = static_cast<std::uint8_t>(TcpState::fin_wait2);
    EXPECT_TRUE(is_orphan(s));
    s.state = static_cast<std::uint8_t>(TcpState::last_ack);
    EXPECT_TRUE(is_orphan(s));
    s.inode = 42;  // still held by a process that shut down its side
    EXPECT_FALSE(is_orphan(s));
    s.inode = 0;
    s.state = static_cast<std::uint8_t>(TcpState::established);  // waiting in an accept queue
    EXPECT_FALSE(is_orphan(s));
}
}  // namespace
}  // namespace kt
