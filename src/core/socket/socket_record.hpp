// Wing core/socket: the kernel's view of a socket. May include: text.
// One TCP socket as sock_diag reports it, decoded into plain values.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace kt {

inline constexpr std::uint8_t k_family_inet = 2;    // AF_INET
inline constexpr std::uint8_t k_family_inet6 = 10;  // AF_INET6
inline constexpr std::uint32_t k_no_peer_probe = 0xffffffff;

// idiag_timer (net/ipv4/inet_diag.c, inet_sk_diag_fill).
enum class DiagTimer : std::uint8_t { none = 0, retransmit = 1, keepalive = 2, time_wait = 3, zero_window = 4 };

// An address in network byte order: IPv4 in the first 4 bytes, IPv6 in all 16.
struct IpAddress {
    std::uint8_t family = k_family_inet;
    std::array<std::uint8_t, 16> bytes{};

    bool is_v4_mapped() const;
    bool is_unspecified() const;
    // The IPv4 address a mapped IPv6 address carries, or the address itself.
    IpAddress unmapped() const;
    friend bool operator==(const IpAddress&, const IpAddress&) = default;
};

struct Endpoint {
    IpAddress address;
    std::uint16_t port = 0;  // host byte order
    friend bool operator==(const Endpoint&, const Endpoint&) = default;
};

// The part of struct tcp_info (INET_DIAG_INFO, include/uapi/linux/tcp.h) that says how idle a
// connection is and whether it is stuck. Times are ms ago; the kernel keeps no time for the
// last ACK it sent.
struct TcpInfo {
    std::uint8_t retransmits = 0;  // tcpi_retransmits: unacknowledged retransmissions of the head segment
    std::uint8_t probes = 0;       // tcpi_probes: zero-window or keepalive probes unanswered
    std::uint8_t backoff = 0;      // tcpi_backoff
    std::uint32_t rto_us = 0;
    std::uint32_t unacked = 0;         // segments in flight
    std::uint32_t last_data_sent_ms = 0;
    std::uint32_t last_data_recv_ms = 0;
    std::uint32_t last_ack_recv_ms = 0;  // any ACK, keepalive answers included
    std::uint32_t total_retrans = 0;
    // Since the last keepalive probe from the peer (k_no_peer_probe: none seen), where it can
    // be seen: the kernel drops a zero-length probe as out of window before it updates the
    // receive times above, so tcp_info never shows one; the BPF iterator reads the time the
    // kernel answered it. Nothing here when the reader cannot tell (sock_diag, getsockopt).
    std::optional<std::uint32_t> peer_probe_ms;

    // Time since anything crossed the path in either direction that tcp_info can see: data
    // each way, and ACKs (keepalive answers) from the peer.
    std::uint32_t idle_ms() const {
        std::uint32_t m = last_data_sent_ms < last_data_recv_ms ? last_data_sent_ms : last_data_recv_ms;
        return m < last_ack_recv_ms ? m : last_ack_recv_ms;
    }
};

struct SocketRecord {
    Endpoint local;
    Endpoint peer;
    std::uint64_t cookie = 0;
    std::uint32_t inode = 0;  // 0 for TIME_WAIT, SYN_RECV and orphans
    std::uint32_t uid = 0;
    std::uint32_t expires_ms = 0;  // until the timer fires
    std::uint32_t rqueue = 0;      // listeners: accept queue length
    std::uint32_t wqueue = 0;      // listeners: backlog
    std::uint8_t family = k_family_inet;
    std::uint8_t state = 0;
    DiagTimer timer = DiagTimer::none;
    std::uint8_t retrans = 0;  // keepalive timer: unanswered probes
    bool dump_interrupted = false;  // NLM_F_DUMP_INTR was set on this message
    bool has_info = false;          // tcp_info was asked for and the kernel sent it
    TcpInfo info;
};

const char* family_name(std::uint8_t family);

}  // namespace kt
