#include "core/socket/kernel_socket.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "bpf/kt_bpf_shared.h"
#include "core/socket/ip_text.hpp"

namespace kt {
namespace {

std::vector<std::uint8_t> bytes_of(const std::vector<kt_socket_record>& records) {
    std::vector<std::uint8_t> out(records.size() * sizeof(kt_socket_record));
    if (!records.empty()) std::memcpy(out.data(), records.data(), out.size());
    return out;
}

kt_socket_record listener_record() {
    kt_socket_record r{};
    r.cookie = 4391847;
    r.netns_inode = 4026531833u;
    r.inode = 7963861;
    r.family = 2;
    r.state = 10;
    r.local_port = 33047;
    const std::uint8_t loopback[4] = {127, 0, 0, 1};
    std::memcpy(r.local_addr, loopback, 4);
    r.keepalive_time = 33 * 250;  // TCP_KEEPIDLE 33 at HZ 250
    return r;
}

TEST(KernelSocketTest, RecordsDecodeToAddressesPortsAndRawJiffies) {
    auto v6 = listener_record();
    v6.family = 10;
    v6.state = 1;
    v6.inode = 0;
    const auto mapped = parse_ip_address("::ffff:127.0.0.1");
    std::memcpy(v6.local_addr, mapped->bytes.data(), 16);
    std::memcpy(v6.peer_addr, mapped->bytes.data(), 16);
    v6.peer_port = 40030;
    v6.keepalive = 1;
    v6.probes = 4;
    v6.user_timeout_ms = 360000;
    auto sockets = parse_kernel_sockets(bytes_of({listener_record(), v6}));
    ASSERT_TRUE(sockets.has_value()) << sockets.error().line();
    ASSERT_EQ(sockets->size(), 2u);
    EXPECT_EQ(endpoint_string((*sockets)[0].local), "127.0.0.1:33047");
    EXPECT_EQ((*sockets)[0].idle_jiffies, 8250u);
    EXPECT_EQ((*sockets)[0].cookie, 4391847u);
    EXPECT_EQ(endpoint_string((*sockets)[1].peer), "[::ffff:127.0.0.1]:40030");
    EXPECT_TRUE((*sockets)[1].keepalive);
    EXPECT_EQ((*sockets)[1].count, 4);
    EXPECT_EQ((*sockets)[1].user_timeout_ms, 360000u);
}

TEST(KernelSocketTest, APartialRecordOrAnUnknownFamilyIsAnError) {
    auto bytes = bytes_of({listener_record()});
    bytes.pop_back();
    auto partial = parse_kernel_sockets(bytes);
    ASSERT_FALSE(partial.has_value());
    EXPECT_NE(partial.error().why.find("not a whole number of 112-byte records"), std::string::npos);
    auto odd = listener_record();
    odd.family = 1;
    EXPECT_FALSE(parse_kernel_sockets(bytes_of({odd})).has_value());
    EXPECT_TRUE(parse_kernel_sockets({}).value().empty());
}

TEST(KernelSocketTest, ZeroMeansInheritedFromTheNamespaceAndJiffiesBecomeSeconds) {
    KernelSocket k;
    k.idle_jiffies = 33 * 100;  // HZ 100
    const auto e = exact_options(k, 100, {600, 20, 5});
    EXPECT_EQ(e.options.idle_seconds, 33u);
    EXPECT_FALSE(e.idle_inherited);
    EXPECT_EQ(e.options.interval_seconds, 20u);
    EXPECT_TRUE(e.interval_inherited);
    EXPECT_EQ(e.options.count, 5u);
    EXPECT_TRUE(e.count_inherited);
    EXPECT_FALSE(e.options.keepalive);
}

TEST(KernelSocketTest, OptionsOnlyRecordsGiveTheCookieAndTheOptions) {
    kt_options_record r{};
    r.cookie = 77;
    r.stored.keepalive = 1;
    r.stored.keepalive_time = 41 * 250;
    r.stored.probes = 5;
    r.stored.user_timeout_ms = 12000;
    std::vector<std::uint8_t> bytes(2 * sizeof r);
    std::memcpy(bytes.data(), &r, sizeof r);
    std::memcpy(bytes.data() + sizeof r, &r, sizeof r);
    auto sockets = parse_socket_options_records(bytes);
    ASSERT_TRUE(sockets.has_value()) << sockets.error().line();
    ASSERT_EQ(sockets->size(), 2u);
    const auto e = exact_options((*sockets)[1], 250, KeepaliveDefaults{});
    EXPECT_EQ((*sockets)[1].cookie, 77u);
    EXPECT_TRUE(e.options.keepalive);
    EXPECT_EQ(e.options.idle_seconds, 41u);
    EXPECT_TRUE(e.interval_inherited);
    EXPECT_EQ(e.options.count, 5u);
    EXPECT_EQ(e.options.user_timeout_ms, 12000u);
    bytes.pop_back();
    EXPECT_FALSE(parse_socket_options_records(bytes).has_value());
}

TEST(KernelSocketTest, TheRecordCarriesTheTimerSockDiagWouldReport) {
    auto r = listener_record();
    r.state = 1;
    r.timer = 2;  // keepalive
    r.timer_jiffies = 500;
    auto sockets = parse_kernel_sockets(bytes_of({r}));
    ASSERT_TRUE(sockets.has_value()) << sockets.error().line();
    EXPECT_EQ(sockets->front().timer, DiagTimer::keepalive);
    EXPECT_EQ(sockets->front().timer_jiffies, 500u);
    r.timer = 3;  // an orphan kept in FIN_WAIT2 as a timewait socket
    EXPECT_TRUE(parse_kernel_sockets(bytes_of({r})).has_value());
    r.timer = 5;
    auto bad = parse_kernel_sockets(bytes_of({r}));
    ASSERT_FALSE(bad.has_value());
    EXPECT_NE(bad.error().why.find("has timer 5"), std::string::npos) << bad.error().why;
}

TEST(KernelSocketTest, PlanRecordsGiveEachSocketsTupleOptionsBeforeAndAfterAndOutcome) {
    kt_planned_record target{};
    target.cookie = 7;
    target.inode = 4242;
    target.kind = KT_PLANNED_TARGET;
    target.state = 1;
    target.family = 2;
    target.outcome = KT_PLAN_FAILED;
    target.local_port = 8080;
    target.peer_port = 51000;
    const std::uint8_t loopback[4] = {127, 0, 0, 1};
    std::memcpy(target.local_addr, loopback, 4);
    std::memcpy(target.peer_addr, loopback, 4);
    target.writes_done = 2;
    target.failed_option = 2;
    target.write_errno = 22;
    target.before.keepalive = 1;
    target.before.keepalive_time = 100 * 250;
    target.after = target.before;
    target.timer = 2;
    target.timer_jiffies = 250;
    kt_planned_record listener{};
    listener.cookie = 8;
    listener.kind = KT_PLANNED_LISTENER;
    listener.state = 10;
    listener.family = 10;
    auto bytes_of = [](std::initializer_list<kt_planned_record> records) {
        std::vector<std::uint8_t> out;
        for (const auto& r : records) {
            const auto* b = reinterpret_cast<const std::uint8_t*>(&r);
            out.insert(out.end(), b, b + sizeof r);
        }
        return out;
    };
    auto sockets = parse_planned_sockets(bytes_of({target, listener}));
    ASSERT_TRUE(sockets.has_value()) << sockets.error().line();
    ASSERT_EQ(sockets->size(), 2u);
    const auto& t = (*sockets)[0];
    EXPECT_EQ(t.kind, PlannedKind::target);
    EXPECT_EQ(t.outcome, PassOutcome::failed);
    EXPECT_EQ(t.inode, 4242u);
    EXPECT_EQ(t.local.port, 8080);
    EXPECT_EQ(t.peer.port, 51000);
    EXPECT_EQ(t.local.address.family, k_family_inet);
    EXPECT_EQ(t.writes_done, 2);
    EXPECT_EQ(t.failed_option, 2);
    EXPECT_EQ(t.write_errno, 22);
    EXPECT_EQ(t.before.cookie, 7u);
    EXPECT_EQ(exact_options_of(t.before, 250, KeepaliveDefaults{}).options.idle_seconds, 100u);
    EXPECT_EQ(t.timer, DiagTimer::keepalive);
    EXPECT_EQ(t.timer_jiffies, 250u);
    EXPECT_EQ((*sockets)[1].kind, PlannedKind::listener);
    EXPECT_EQ((*sockets)[1].outcome, PassOutcome::none);

    // A target with no outcome, an outcome on a listener, a state or kind out of range: refused.
    kt_planned_record no_outcome = target, listener_changed = listener, no_state = target, no_kind = target,
                      no_timer = target;
    no_outcome.outcome = 0;
    no_timer.timer = 5;
    EXPECT_FALSE(parse_planned_sockets(bytes_of({no_timer})).has_value());
    listener_changed.outcome = KT_PLAN_CHANGED;
    no_state.state = 13;
    no_kind.kind = 4;
    EXPECT_FALSE(parse_planned_sockets(bytes_of({no_outcome})).has_value());
    EXPECT_FALSE(parse_planned_sockets(bytes_of({listener_changed})).has_value());
    EXPECT_FALSE(parse_planned_sockets(bytes_of({no_state})).has_value());
    EXPECT_FALSE(parse_planned_sockets(bytes_of({no_kind})).has_value());
    auto partial = bytes_of({target});
    partial.pop_back();
    auto cut = parse_planned_sockets(partial);
    ASSERT_FALSE(cut.has_value());
    EXPECT_NE(cut.error().why.find("not a whole number of 96-byte records"), std::string::npos) << cut.error().why;
}

TEST(KernelSocketTest, AppliedRecordsGiveTheOptionsAndHowManyWritesWentThrough) {
    kt_applied_record done{};
    done.options.cookie = 9;
    done.options.stored.keepalive = 1;
    done.options.stored.keepalive_time = 60 * 250;
    done.options.stored.keepalive_intvl = 10 * 250;
    done.options.stored.probes = 4;
    done.writes_done = 5;
    kt_applied_record refused = done;
    refused.options.cookie = 10;
    refused.options.stored.keepalive = 0;
    refused.writes_done = 2;
    refused.write_errno = 22;
    std::vector<std::uint8_t> bytes(2 * sizeof done);
    std::memcpy(bytes.data(), &done, sizeof done);
    std::memcpy(bytes.data() + sizeof done, &refused, sizeof refused);
    auto sockets = parse_applied_sockets(bytes);
    ASSERT_TRUE(sockets.has_value()) << sockets.error().line();
    ASSERT_EQ(sockets->size(), 2u);
    const auto& a = (*sockets)[0];
    EXPECT_EQ(a.cookie, 9u);
    EXPECT_EQ(a.writes_done, 5u);
    EXPECT_EQ(a.write_errno, 0u);
    const auto e = exact_options(a, 250, KeepaliveDefaults{});
    EXPECT_TRUE(e.options.keepalive);
    EXPECT_EQ(e.options.idle_seconds, 60u);
    EXPECT_EQ(e.options.interval_seconds, 10u);
    EXPECT_EQ(e.options.count, 4u);
    const auto& b = (*sockets)[1];
    EXPECT_EQ(b.cookie, 10u);
    EXPECT_FALSE(b.keepalive);
    EXPECT_EQ(b.writes_done, 2u);
    EXPECT_EQ(b.write_errno, 22u);
    bytes.pop_back();
    auto partial = parse_applied_sockets(bytes);
    ASSERT_FALSE(partial.has_value());
    EXPECT_NE(partial.error().why.find("not a whole number of 32-byte records"), std::string::npos);
}

// What tcp_get_info computes from the same fields: jiffies ago become milliseconds ago, the RTO
// microseconds, and the retransmission counters pass through.
TEST(KernelSocketTest, TheRecordGivesWhatTcpInfoWouldReport) {
    auto r = listener_record();
    r.state = 1;
    r.idle_rcv_jiffies = 2500;  // 10 s at HZ 250
    r.idle_snd_jiffies = 750;   // 3 s
    r.idle_ack_jiffies = 1;     // 4 ms
    r.idle_oow_jiffies = 500;   // the peer's last keepalive probe, 2 s ago
    r.packets_out = 3;
    r.probes_out = 2;
    r.rto_jiffies = 51;  // 204 ms
    r.retransmits = 4;
    r.backoff = 3;
    r.total_retrans = 17;
    auto sockets = parse_kernel_sockets(bytes_of({r}));
    ASSERT_TRUE(sockets.has_value()) << sockets.error().line();
    const TcpInfo i = tcp_info_of(sockets->front(), 250);
    EXPECT_EQ(i.last_data_recv_ms, 10000u);
    EXPECT_EQ(i.last_data_sent_ms, 3000u);
    EXPECT_EQ(i.last_ack_recv_ms, 4u);
    EXPECT_EQ(i.idle_ms(), 4u);
    EXPECT_EQ(i.unacked, 3u);
    EXPECT_EQ(i.probes, 2);
    EXPECT_EQ(i.rto_us, 204000u);
    EXPECT_EQ(i.retransmits, 4);
    EXPECT_EQ(i.backoff, 3);
    EXPECT_EQ(i.total_retrans, 17u);
    EXPECT_EQ(i.peer_probe_ms, 2000u);
    r.idle_oow_jiffies = 0xffffffff;  // none since the socket was made
    EXPECT_EQ(tcp_info_of(parse_kernel_sockets(bytes_of({r}))->front(), 250).peer_probe_ms, k_no_peer_probe);
    // HZ 1000: jiffies are milliseconds.
    EXPECT_EQ(tcp_info_of(sockets->front(), 1000).last_data_recv_ms, 2500u);
}

TEST(KernelSocketTest, TheSocketRecordIsWhatADumpWithTcpInfoWouldGive) {
    auto r = listener_record();
    r.state = 1;
    r.peer_port = 443;
    const std::uint8_t peer[4] = {10, 1, 2, 3};
    std::memcpy(r.peer_addr, peer, 4);
    r.timer = 2;  // keepalive: idiag_retrans is the probes out
    r.timer_jiffies = 125;
    r.probes_out = 3;
    r.retransmits = 1;
    r.idle_rcv_jiffies = 2500;
    auto sockets = parse_kernel_sockets(bytes_of({r}));
    ASSERT_TRUE(sockets.has_value()) << sockets.error().line();
    const SocketRecord s = socket_record_of(sockets->front(), 250);
    EXPECT_EQ(s.cookie, 4391847u);
    EXPECT_EQ(s.inode, 7963861u);
    EXPECT_EQ(s.state, 1);
    EXPECT_EQ(endpoint_string(s.local), "127.0.0.1:33047");
    EXPECT_EQ(endpoint_string(s.peer), "10.1.2.3:443");
    EXPECT_EQ(s.timer, DiagTimer::keepalive);
    EXPECT_EQ(s.expires_ms, 500u);
    EXPECT_EQ(s.retrans, 3);
    EXPECT_TRUE(s.has_info);
    EXPECT_EQ(s.info.last_data_recv_ms, 10000u);
    EXPECT_EQ(s.info.probes, 3);
    // The retransmit timer: idiag_retrans is the head segment's retransmissions.
    r.timer = 1;
    EXPECT_EQ(socket_record_of(parse_kernel_sockets(bytes_of({r}))->front(), 250).retrans, 1);
    // No timer: nothing.
    r.timer = 0;
    r.timer_jiffies = 0;
    const SocketRecord idle = socket_record_of(parse_kernel_sockets(bytes_of({r}))->front(), 250);
    EXPECT_EQ(idle.retrans, 0);
    EXPECT_EQ(idle.expires_ms, 0u);
}

TEST(KernelSocketTest, OnlyConnectedSocketsWithoutAFileAreInAnAcceptQueue) {
    KernelSocket k;
    k.state = 1;  // established, no file
    EXPECT_TRUE(in_accept_queue(k));
    k.state = 8;  // close-wait: the peer closed before accept()
    EXPECT_TRUE(in_accept_queue(k));
    k.state = 4;  // fin-wait-1: an orphan the process closed
    EXPECT_FALSE(in_accept_queue(k));
    k.state = 1;
    k.inode = 12;
    EXPECT_FALSE(in_accept_queue(k));
}

}  // namespace
}  // namespace kt
