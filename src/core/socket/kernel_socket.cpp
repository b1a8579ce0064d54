#include "core/socket/kernel_socket.hpp"

#include <algorithm>
#include <cstring>

#include "bpf/kt_bpf_shared.h"
#include "core/socket/tcp_state.hpp"

namespace kt {

static_assert(sizeof(kt_socket_record) == k_kernel_socket_record_size,
              "kt_socket_record changed: keep k_kernel_socket_record_size in step");

namespace {
// A record's tuple (kt_socket_record, kt_planned_record): IPv4 in the first 4 bytes.
template <class Raw>
void endpoints_of(const Raw& r, Endpoint& local, Endpoint& peer) {
    local.address.family = peer.address.family = r.family;
    const std::size_t len = r.family == k_family_inet ? 4 : 16;
    std::memcpy(local.address.bytes.data(), r.local_addr, len);
    std::memcpy(peer.address.bytes.data(), r.peer_addr, len);
    local.port = r.local_port;
    peer.port = r.peer_port;
}

// A record's options as stored, under `cookie`.
SocketOptionsRecord options_of(std::uint64_t cookie, const kt_stored_options& o) {
    SocketOptionsRecord s;
    s.cookie = cookie;
    s.keepalive = o.keepalive != 0;
    s.idle_jiffies = o.keepalive_time;
    s.interval_jiffies = o.keepalive_intvl;
    s.count = o.probes;
    s.user_timeout_ms = o.user_timeout_ms;
    return s;
}
}  // namespace

Result<std::vector<KernelSocket>> parse_kernel_sockets(std::span<const std::uint8_t> bytes) {
    if (bytes.size() % sizeof(kt_socket_record) != 0)
        return fail("socket iterator", std::to_string(bytes.size()) + " bytes is not a whole number of " +
                                           std::to_string(sizeof(kt_socket_record)) + "-byte records");
    std::vector<KernelSocket> out;
    out.reserve(bytes.size() / sizeof(kt_socket_record));
    for (std::size_t at = 0; at < bytes.size(); at += sizeof(kt_socket_record)) {
        kt_socket_record r;
        std::memcpy(&r, bytes.data() + at, sizeof r);
        if (r.family != k_family_inet && r.family != k_family_inet6)
            return fail("socket iterator", "record " + std::to_string(at / sizeof r) + " has address family " +
                                               std::to_string(r.family));
        KernelSocket s;
        s.cookie = r.cookie;
        s.netns_inode = r.netns_inode;
        s.inode = r.inode;
        s.family = r.family;
        s.state = r.state;
        s.keepalive = r.keepalive != 0;
        endpoints_of(r, s.local, s.peer);
        s.idle_jiffies = r.keepalive_time;
        s.interval_jiffies = r.keepalive_intvl;
        s.count = r.probes;
        s.user_timeout_ms = r.user_timeout_ms;
        s.idle_recv_jiffies = r.idle_rcv_jiffies;
        s.idle_send_jiffies = r.idle_snd_jiffies;
        s.idle_ack_jiffies = r.idle_ack_jiffies;
        s.idle_oow_jiffies = r.idle_oow_jiffies;
        s.unacked = r.packets_out;
        s.probes_out = r.probes_out;
        s.rto_jiffies = r.rto_jiffies;
        s.total_retrans = r.total_retrans;
        s.retransmits = r.retransmits;
        s.backoff = r.backoff;
        if (r.timer > static_cast<std::uint8_t>(DiagTimer::zero_window))
            return fail("socket iterator", "record " + std::to_string(at / sizeof r) + " has timer " + std::to_string(r.timer));
        s.timer = static_cast<DiagTimer>(r.timer);
        s.timer_jiffies = r.timer_jiffies;
        out.push_back(s);
    }
    return out;
}

static_assert(sizeof(kt_options_record) == k_socket_options_record_size,
              "kt_options_record changed: keep k_socket_options_record_size in step");
static_assert(sizeof(kt_applied_record) == k_applied_socket_record_size,
              "kt_applied_record changed: keep k_applied_socket_record_size in step");

namespace {
// Whole fixed-size records of type Raw, each made into an Out by `fill`.
template <class Raw, class Out, class Fill>
Result<std::vector<Out>> parse_records(std::span<const std::uint8_t> bytes, Fill fill) {
    if (bytes.size() % sizeof(Raw) != 0)
        return fail("socket iterator", std::to_string(bytes.size()) + " bytes is not a whole number of " +
                                           std::to_string(sizeof(Raw)) + "-byte records");
    std::vector<Out> out(bytes.size() / sizeof(Raw));
    for (std::size_t i = 0; i < out.size(); ++i) {
        Raw r;
        std::memcpy(&r, bytes.data() + i * sizeof r, sizeof r);
        fill(r, out[i]);
    }
    return out;
}

void fill_options(const kt_options_record& r, SocketOptionsRecord& s) { s = options_of(r.cookie, r.stored); }
}  // namespace

Result<std::vector<SocketOptionsRecord>> parse_socket_options_records(std::span<const std::uint8_t> bytes) {
    return parse_records<kt_options_record, SocketOptionsRecord>(bytes, fill_options);
}

Result<std::vector<AppliedSocket>> parse_applied_sockets(std::span<const std::uint8_t> bytes) {
    return parse_records<kt_applied_record, AppliedSocket>(bytes, [](const kt_applied_record& r, AppliedSocket& s) {
        fill_options(r.options, s);
        s.writes_done = r.writes_done;
        s.write_errno = r.write_errno;
    });
}

static_assert(sizeof(kt_planned_record) == k_planned_socket_record_size,
              "kt_planned_record changed: keep k_planned_socket_record_size in step");


Result<std::vector<PlannedSocket>> parse_planned_sockets(std::span<const std::uint8_t> bytes) {
    if (bytes.size() % sizeof(kt_planned_record) != 0)
        return fail("socket iterator", std::to_string(bytes.size()) + " bytes is not a whole number of " +
                                           std::to_string(sizeof(kt_planned_record)) + "-byte records");
    std::vector<PlannedSocket> out(bytes.size() / sizeof(kt_planned_record));
    for (std::size_t i = 0; i < out.size(); ++i) {
        kt_planned_record r;
        std::memcpy(&r, bytes.data() + i * sizeof r, sizeof r);
        auto bad = [&](const char* field, unsigned value) {
            return fail("socket iterator", "plan record " + std::to_string(i) + " has " + field + " " + std::to_string(value));
        };
        if (r.family != k_family_inet && r.family != k_family_inet6) return bad("address family", r.family);
        if (r.kind < KT_PLANNED_TARGET || r.kind > KT_PLANNED_UNACCEPTED) return bad("kind", r.kind);
        if (r.outcome > KT_PLAN_DRIFT || (r.kind == KT_PLANNED_TARGET) != (r.outcome != 0))
            return bad("outcome", r.outcome);
        if (r.state == 0 || r.state > k_tcp_state_max) return bad("state", r.state);
        if (r.writes_done > KT_MAX_WRITES) return bad("writes done", r.writes_done);
        if (r.failed_option > 4) return bad("failed option", r.failed_option);
        if (r.timer > static_cast<std::uint8_t>(DiagTimer::zero_window)) return bad("timer", r.timer);
        auto& s = out[i];
        s.cookie = r.cookie;
        s.inode = r.inode;
        s.kind = static_cast<PlannedKind>(r.kind);
        s.outcome = static_cast<PassOutcome>(r.outcome);
        s.state = r.state;
        s.writes_done = r.writes_done;
        s.failed_option = r.failed_option;
        s.write_errno = r.write_errno;
        endpoints_of(r, s.local, s.peer);
        s.before = options_of(r.cookie, r.before);
        s.after = options_of(r.cookie, r.after);
        s.timer = static_cast<DiagTimer>(r.timer);
        s.timer_jiffies = r.timer_jiffies;
    }
    return out;
}

static_assert(sizeof(kt_owner_record) == k_socket_file_record_size,
              "kt_owner_record changed: keep k_socket_file_record_size in step");

Result<std::vector<SocketFile>> parse_socket_files(std::span<const std::uint8_t> bytes) {
    if (bytes.size() % sizeof(kt_owner_record) != 0)
        return fail("task-file iterator", std::to_string(bytes.size()) + " bytes is not a whole number of " +
                                              std::to_string(sizeof(kt_owner_record)) + "-byte records");
    std::vector<SocketFile> out;
    out.reserve(bytes.size() / sizeof(kt_owner_record));
    for (std::size_t at = 0; at < bytes.size(); at += sizeof(kt_owner_record)) {
        kt_owner_record r;
        std::memcpy(&r, bytes.data() + at, sizeof r);
        if (r.pid == 0 || r.pid > 4194304 || r.fd > 0x7fffffffu)
            return fail("task-file iterator", "record " + std::to_string(at / sizeof r) + " has pid " +
                                                  std::to_string(r.pid) + " fd " + std::to_string(r.fd));
        const char* end = static_cast<const char*>(std::memchr(r.comm, '\0', sizeof r.comm));
        out.push_back({static_cast<std::int32_t>(r.pid), static_cast<std::int32_t>(r.fd), r.inode,
                       std::string(static_cast<const char*>(r.comm), end ? end : r.comm + sizeof r.comm)});
    }
    return out;
}

ExactOptions exact_options(const KernelSocket& s, std::uint32_t hz, const KeepaliveDefaults& netns) {
    return exact_options_of(s, hz, netns);
}
ExactOptions exact_options(const SocketOptionsRecord& s, std::uint32_t hz, const KeepaliveDefaults& netns) {
    return exact_options_of(s, hz, netns);
}

TcpInfo tcp_info_of(const KernelSocket& s, std::uint32_t hz) {
    auto ms = [hz](std::uint64_t jiffies) {
        return static_cast<std::uint32_t>(std::min<std::uint64_t>(jiffies * 1000 / hz, 0xffffffffu));
    };
    TcpInfo i;
    i.retransmits = s.retransmits;
    i.probes = static_cast<std::uint8_t>(std::min<std::uint32_t>(s.probes_out, 255));
    i.backoff = s.backoff;
    i.rto_us = static_cast<std::uint32_t>(std::min<std::uint64_t>(std::uint64_t{s.rto_jiffies} * 1000000 / hz, 0xffffffffu));
    i.unacked = s.unacked;
    i.last_data_sent_ms = ms(s.idle_send_jiffies);
    i.last_data_recv_ms = ms(s.idle_recv_jiffies);
    i.last_ack_recv_ms = ms(s.idle_ack_jiffies);
    i.total_retrans = s.total_retrans;
    i.peer_probe_ms = s.idle_oow_jiffies == k_no_oow_segment ? k_no_peer_probe : ms(s.idle_oow_jiffies);
    return i;
}

SocketRecord socket_record_of(const KernelSocket& s, std::uint32_t hz) {
    SocketRecord r;
    r.local = s.local;
    r.peer = s.peer;
    r.cookie = s.cookie;
    r.inode = s.inode;
    r.family = s.family;
    r.state = s.state;
    r.timer = s.timer;
    r.expires_ms = static_cast<std::uint32_t>(std::min<std::uint64_t>(std::uint64_t{s.timer_jiffies} * 1000 / hz, 0xffffffffu));
    switch (s.timer) {
        case DiagTimer::retransmit: r.retrans = s.retransmits; break;
        case DiagTimer::keepalive:
        case DiagTimer::zero_window: r.retrans = static_cast<std::uint8_t>(std::min<std::uint32_t>(s.probes_out, 255)); break;
        default: break;
    }
    r.has_info = true;
    r.info = tcp_info_of(s, hz);
    return r;
}

bool in_accept_queue(const KernelSocket& s) { return in_accept_queue(s.inode, s.state); }

bool in_accept_queue(std::uint32_t inode, std::uint8_t state) {
    return inode == 0 && (state == static_cast<std::uint8_t>(TcpState::established) ||
                          state == static_cast<std::uint8_t>(TcpState::close_wait));
}

}  // namespace kt
