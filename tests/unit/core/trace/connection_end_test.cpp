#include "core/trace/connection_end.hpp"

#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "bpf/kt_bpf_shared.h"

namespace kt {
namespace {

std::vector<std::uint8_t> bytes_of(const kt_end_record& r) {
    std::vector<std::uint8_t> out(sizeof r);
    std::memcpy(out.data(), &r, sizeof r);
    return out;
}

kt_end_record closed_record() {
    kt_end_record r{};
    r.kind = KT_END_CLOSED;
    r.family = 2;
    r.old_state = 1;  // established
    r.flags = KT_END_KEEPALIVE | KT_END_FILE;
    r.local_port = 40022;
    r.peer_port = 8080;
    r.default_time = 7200 * 250;
    r.default_intvl = 75 * 250;
    r.default_probes = 9;
    r.idle_rcv_jiffies = r.idle_snd_jiffies = r.idle_ack_jiffies = 1000;  // 4 s at HZ 250
    return r;
}

ConnectionEnd parsed(const kt_end_record& r) {
    auto e = parse_connection_end(bytes_of(r));
    EXPECT_TRUE(e.has_value()) << (e ? "" : e.error().line());
    return e ? *e : ConnectionEnd{};
}

TEST(ConnectionEndTest, OnlyWholeRecordsOfAKnownKindAndFamilyParse) {
    auto bytes = bytes_of(closed_record());
    EXPECT_TRUE(parse_connection_end(bytes).has_value());
    bytes.pop_back();
    EXPECT_FALSE(parse_connection_end(bytes).has_value());
    auto r = closed_record();
    r.kind = 3;
    EXPECT_FALSE(parse_connection_end(bytes_of(r)).has_value());
    r = closed_record();
    r.family = 1;
    EXPECT_FALSE(parse_connection_end(bytes_of(r)).has_value());
}

TEST(ConnectionEndTest, TheLastSendReceiveAndAckAreEachTheirOwn) {
    auto r = closed_record();
    r.idle_snd_jiffies = 500;   // 2 s
    r.idle_rcv_jiffies = 2500;  // 10 s
    r.idle_ack_jiffies = 250;   // 1 s: a keepalive answer
    const auto v = judge_end(parsed(r), 250, {});
    EXPECT_EQ(v.last_send_ms, 2000u);
    EXPECT_EQ(v.last_receive_ms, 10000u);
    EXPECT_EQ(v.last_ack_ms, 1000u);
    EXPECT_EQ(v.idle_ms, 1000u);
}

TEST(ConnectionEndTest, TheSideSeenBeingMadeIsKept) {
    EXPECT_EQ(parsed(closed_record()).side, EndSide::unknown);
    auto r = closed_record();
    r.flags |= KT_END_ACCEPTED;
    EXPECT_EQ(parsed(r).side, EndSide::accepted);
    r = closed_record();
    r.flags |= KT_END_UPSTREAM;
    EXPECT_EQ(parsed(r).side, EndSide::upstream);
}

TEST(ConnectionEndTest, ProbesOutAndNoRetransmissionIsAKeepaliveTimeoutWithItsValues) {
    auto r = closed_record();
    r.sk_err = ETIMEDOUT;
    r.probes_out = 2;
    r.keepalive_time = 250;  // its own 1 s
    r.keepalive_intvl = 250;
    r.keepalive_probes = 2;
    const auto v = judge_end(parsed(r), 250, {});
    EXPECT_EQ(v.reason, EndReason::keepalive_timeout);
    EXPECT_EQ(v.error, "ETIMEDOUT");
    EXPECT_EQ(v.probes_sent, 2u);
    EXPECT_EQ(v.keepalive_idle_s, 1u);
    EXPECT_EQ(v.keepalive_interval_s, 1u);
    EXPECT_EQ(v.keepalive_count, 2u);
    EXPECT_EQ(v.idle_ms, 4000u);
    EXPECT_EQ(v.last_send_ms, 4000u);
    EXPECT_EQ(v.last_receive_ms, 4000u);
    EXPECT_EQ(v.last_ack_ms, 4000u);
    // Nothing of its own: the netns's.
    r.keepalive_time = r.keepalive_intvl = 0;
    r.keepalive_probes = 0;
    const auto inherited = judge_end(parsed(r), 250, {});
    EXPECT_EQ(inherited.keepalive_idle_s, 7200u);
    EXPECT_EQ(inherited.keepalive_count, 9u);
}

TEST(ConnectionEndTest, RetransmissionsAreARetransmitTimeoutSayingWhichLimitEndedIt) {
    auto r = closed_record();
    r.sk_err = ETIMEDOUT;
    r.retransmits = 5;
    r.retransmitting_ms = 3010;
    r.user_timeout_ms = 3000;
    auto v = judge_end(parsed(r), 250, {});
    EXPECT_EQ(v.reason, EndReason::retransmit_timeout);
    EXPECT_TRUE(v.by_user_timeout);
    EXPECT_EQ(v.retransmitted_ms, 3010u);
    r.user_timeout_ms = 0;
    EXPECT_FALSE(judge_end(parsed(r), 250, {}).by_user_timeout);
    // Probes out without keepalive on are the zero-window probe timer's: retransmit-timeout.
    r = closed_record();
    r.flags = KT_END_FILE;
    r.sk_err = ETIMEDOUT;
    r.probes_out = 3;
    EXPECT_EQ(judge_end(parsed(r), 250, {}).reason, EndReason::retransmit_timeout);
}

TEST(ConnectionEndTest, AResetAnsweringASendAfterIdleNamesTheMiddleboxesJustBelowThatIdle) {
    const std::vector<Middlebox> catalogue{{"aws-nlb", "AWS NLB", 350, "", true, ""},
                                           {"gcp-nat", "Cloud NAT", 1200, "", true, ""},
                                           {"short", "short", 60, "", true, ""}};
    auto r = closed_record();
    r.flags |= KT_END_RESET_IN;
    r.sk_err = ECONNRESET;
    r.reset_idle_jiffies = 352 * 250;
    r.reset_after_send_jiffies = 1;
    r.reset_packets_out = 1;
    const auto v = judge_end(parsed(r), 250, catalogue);
    EXPECT_EQ(v.reason, EndReason::reset_received);
    EXPECT_TRUE(v.first_send_after_idle);
    EXPECT_EQ(v.idle_ms, 352000u);
    EXPECT_EQ(v.middleboxes, std::vector<std::string>{"aws-nlb"});
    // Nothing in flight: a reset while idle, no middlebox named.
    r.reset_packets_out = 0;
    const auto idle = judge_end(parsed(r), 250, catalogue);
    EXPECT_FALSE(idle.first_send_after_idle);
    EXPECT_TRUE(idle.middleboxes.empty());
    // ECONNRESET without a reset seen is the host's own abort, not a reset received.
    r.flags = KT_END_FILE;
    EXPECT_EQ(judge_end(parsed(r), 250, catalogue).reason, EndReason::error);
}

TEST(ConnectionEndTest, ResetsSentHaveTheKernelsReasonByNameOrNotSpecified) {
    kt_end_record r{};
    r.kind = KT_END_RESET_SENT;
    r.family = 10;
    r.flags = KT_END_REASON;
    r.reset_reason = 1;
    const auto e = parsed(r);
    EXPECT_EQ(judge_end(e, 250, {}).reason, EndReason::reset_sent);
    const std::vector<std::string> names{"NOT_SPECIFIED", "NO_SOCKET"};
    EXPECT_EQ(reset_reason_name(e, names), "NO_SOCKET");
    EXPECT_EQ(reset_reason_name(e, {}), "not-specified");
    auto without = e;
    without.has_reason = false;
    EXPECT_EQ(reset_reason_name(without, names), "not-specified");
}

TEST(ConnectionEndTest, ReasonNamesRoundTrip) {
    for (auto r : {EndReason::keepalive_timeout, EndReason::retransmit_timeout, EndReason::reset_received,
                   EndReason::reset_sent, EndReason::error, EndReason::closed})
        EXPECT_EQ(end_reason_of(end_reason_name(r)), r);
    EXPECT_FALSE(end_reason_of("timeout").has_value());
}

}  // namespace
}  // namespace kt
