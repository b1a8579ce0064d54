#include "core/trace/connection_end.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

#include "bpf/kt_bpf_shared.h"
#include "core/socket/tcp_state.hpp"

namespace kt {

static_assert(static_cast<int>(EndReason::keepalive_timeout) == KT_END_REASON_KEEPALIVE_TIMEOUT &&
                  static_cast<int>(EndReason::retransmit_timeout) == KT_END_REASON_RETRANSMIT_TIMEOUT &&
                  static_cast<int>(EndReason::reset_received) == KT_END_REASON_RESET_RECEIVED &&
                  static_cast<int>(EndReason::reset_sent) == KT_END_REASON_RESET_SENT &&
                  static_cast<int>(EndReason::error) == KT_END_REASON_ERROR &&
                  static_cast<int>(EndReason::closed) == KT_END_REASON_CLOSED && KT_END_REASONS == 6,
              "EndReason follows KT_END_REASON_*");
static_assert(KT_ETIMEDOUT == ETIMEDOUT);
static_assert(sizeof(kt_end_record) == k_connection_end_record_size,
              "kt_end_record changed: keep k_connection_end_record_size in step");

Result<ConnectionEnd> parse_connection_end(std::span<const std::uint8_t> bytes) {
    if (bytes.size() != sizeof(kt_end_record))
        return fail("trace record", std::to_string(bytes.size()) + " bytes, not one " +
                                        std::to_string(sizeof(kt_end_record)) + "-byte record");
    kt_end_record r;
    std::memcpy(&r, bytes.data(), sizeof r);
    if (r.kind != KT_END_CLOSED && r.kind != KT_END_RESET_SENT)
        return fail("trace record", "kind " + std::to_string(r.kind));
    if (r.family != k_family_inet && r.family != k_family_inet6)
        return fail("trace record", "address family " + std::to_string(r.family));
    ConnectionEnd e;
    e.boot_ns = r.time_ns;
    e.cookie = r.cookie;
    e.bytes_acked = r.bytes_acked;
    e.bytes_received = r.bytes_received;
    e.netns_inode = r.netns_inode;
    e.inode = r.inode;
    e.kind = static_cast<EndKind>(r.kind);
    e.family = r.family;
    e.old_state = r.old_state;
    e.keepalive = r.flags & KT_END_KEEPALIVE;
    e.reset_in = r.flags & KT_END_RESET_IN;
    e.has_socket = r.flags & KT_END_SOCKET;
    e.has_reason = r.flags & KT_END_REASON;
    e.had_file = r.flags & KT_END_FILE;
    e.side = r.flags & KT_END_ACCEPTED ? EndSide::accepted : r.flags & KT_END_UPSTREAM ? EndSide::upstream : EndSide::unknown;
    e.local.address.family = e.peer.address.family = r.family;
    const std::size_t len = r.family == k_family_inet ? 4 : 16;
    std::memcpy(e.local.address.bytes.data(), r.local_addr, len);
    std::memcpy(e.peer.address.bytes.data(), r.peer_addr, len);
    e.local.port = r.local_port;
    e.peer.port = r.peer_port;
    e.sk_err = r.sk_err;
    e.reset_reason = r.reset_reason;
    e.keepalive_time = r.keepalive_time;
    e.keepalive_intvl = r.keepalive_intvl;
    e.keepalive_probes = r.keepalive_probes;
    e.default_time = r.default_time;
    e.default_intvl = r.default_intvl;
    e.default_probes = r.default_probes;
    e.retries2 = r.retries2;
    e.user_timeout_ms = r.user_timeout_ms;
    e.idle_rcv = r.idle_rcv_jiffies;
    e.idle_snd = r.idle_snd_jiffies;
    e.idle_ack = r.idle_ack_jiffies;
    e.reset_idle = r.reset_idle_jiffies;
    e.reset_after_send = r.reset_after_send_jiffies;
    e.reset_packets_out = r.reset_packets_out;
    e.total_retrans = r.total_retrans;
    e.retransmitting_ms = r.retransmitting_ms;
    e.probes_out = r.probes_out;
    e.retransmits = r.retransmits;
    return e;
}

namespace {
constexpr std::array<std::pair<EndReason, std::string_view>, 6> k_reasons{{
    {EndReason::keepalive_timeout, "keepalive-timeout"},
    {EndReason::retransmit_timeout, "retransmit-timeout"},
    {EndReason::reset_received, "reset-received"},
    {EndReason::reset_sent, "reset-sent"},
    {EndReason::error, "error"},
    {EndReason::closed, "closed"},
}};

std::string errno_name(std::uint32_t e) {
    switch (e) {
        case 0: return "";
        case ETIMEDOUT: return "ETIMEDOUT";
        case ECONNRESET: return "ECONNRESET";
        case EPIPE: return "EPIPE";
        case ECONNREFUSED: return "ECONNREFUSED";
        case EHOSTUNREACH: return "EHOSTUNREACH";
        case ENETUNREACH: return "ENETUNREACH";
        case ECONNABORTED: return "ECONNABORTED";
        case EPROTO: return "EPROTO";
        default: return "errno " + std::to_string(e);
    }
}

std::uint64_t ms_of(std::uint64_t jiffies, std::uint32_t hz) { return jiffies * 1000 / hz; }
}  // namespace

std::string_view end_reason_name(EndReason r) {
    for (const auto& [reason, name] : k_reasons)
        if (reason == r) return name;
    return "closed";
}

std::optional<EndReason> end_reason_of(std::string_view name) {
    for (const auto& [reason, n] : k_reasons)
        if (n == name) return reason;
    return std::nullopt;
}

EndVerdict judge_end(const ConnectionEnd& e, std::uint32_t hz, std::span<const Middlebox> catalogue) {
    EndVerdict v;
    v.error = errno_name(e.sk_err);
    v.keepalive_idle_s = (e.keepalive_time ? e.keepalive_time : e.default_time) / hz;
    v.keepalive_interval_s = (e.keepalive_intvl ? e.keepalive_intvl : e.default_intvl) / hz;
    v.keepalive_count = e.keepalive_probes ? e.keepalive_probes : e.default_probes;
    v.probes_sent = e.probes_out;
    // Idle before the end: nothing sent and nothing received (ACKs, keepalive answers included).
    v.idle_ms = ms_of(std::min({e.idle_rcv, e.idle_snd, e.idle_ack}), hz);
    v.last_send_ms = ms_of(e.idle_snd, hz);
    v.last_receive_ms = ms_of(e.idle_rcv, hz);
    v.last_ack_ms = ms_of(e.idle_ack, hz);
    // The rule the counting programs use too (kt_bpf_shared.h).
    v.reason = static_cast<EndReason>(kt_end_reason_of(e.kind == EndKind::reset_sent, e.reset_in, e.sk_err, e.retransmits,
                                                       e.probes_out, e.keepalive));
    if (v.reason == EndReason::reset_received) {
        // A reset answering the SYN: refused, nothing was ever idle.
        if (e.old_state == static_cast<std::uint8_t>(TcpState::syn_sent)) {
            v.idle_ms = 0;
            return v;
        }
        // The reset answered data we sent after the path had been idle: the path (a NAT, a
        // load balancer) or the peer had forgotten the connection.
        v.first_send_after_idle = e.reset_packets_out > 0 && e.reset_idle >= hz;
        if (v.first_send_after_idle) {
            v.idle_ms = ms_of(e.reset_idle, hz);
            // Those whose timeout the idle passed, by no more than a quarter (plus 5 s).
            const std::uint64_t idle_s = v.idle_ms / 1000;
            for (const auto& m : catalogue)
                if (m.idle_timeout_seconds > 0 && idle_s >= m.idle_timeout_seconds &&
                    idle_s <= m.idle_timeout_seconds + m.idle_timeout_seconds / 4 + 5)
                    v.middleboxes.push_back(m.id);
        }
    } else if (v.reason == EndReason::retransmit_timeout) {
        v.by_user_timeout = e.user_timeout_ms > 0;
        v.retransmitted_ms = e.retransmitting_ms;
    }
    return v;
}

std::string reset_reason_name(const ConnectionEnd& e, std::span<const std::string> names) {
    if (!e.has_reason || e.reset_reason >= names.size() || names[e.reset_reason].empty() ||
        names[e.reset_reason] == "NOT_SPECIFIED")
        return "not-specified";
    return names[e.reset_reason];
}

}  // namespace kt
