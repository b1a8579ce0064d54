// Wing core/trace: how connections end. May include: text, socket, profile.
// One connection's end as the trace program recorded it (decoded), and the reason it ended, in
// keepalive terms.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/profile/catalogue.hpp"
#include "core/socket/socket_record.hpp"
#include "core/text/error.hpp"

namespace kt {

enum class EndKind : std::uint8_t { closed = 1, reset_sent = 2 };

// How the connection was made, when trace saw it being made.
enum class EndSide : std::uint8_t { unknown, accepted, upstream };

// A kt_end_record, its times still in jiffies.
struct ConnectionEnd {
    std::uint64_t boot_ns = 0;  // CLOCK_BOOTTIME
    std::uint64_t cookie = 0;
    std::uint64_t bytes_acked = 0;
    std::uint64_t bytes_received = 0;
    std::uint32_t netns_inode = 0;
    std::uint32_t inode = 0;
    EndKind kind = EndKind::closed;
    std::uint8_t family = k_family_inet;
    std::uint8_t old_state = 0;
    bool keepalive = false;
    bool reset_in = false;     // a reset arrived just before
    bool has_socket = false;   // reset sent: a socket of this host sent it
    bool has_reason = false;   // reset sent: the kernel gave a reason
    bool had_file = false;     // the socket still had a file when it ended
    EndSide side = EndSide::unknown;
    Endpoint local;
    Endpoint peer;
    std::uint32_t sk_err = 0;
    std::uint32_t reset_reason = 0;
    std::uint32_t keepalive_time = 0;  // 0: the netns default
    std::uint32_t keepalive_intvl = 0;
    std::uint8_t keepalive_probes = 0;
    std::uint32_t default_time = 0;
    std::uint32_t default_intvl = 0;
    std::uint8_t default_probes = 0;
    std::uint8_t retries2 = 0;
    std::uint32_t user_timeout_ms = 0;
    std::uint32_t idle_rcv = 0;
    std::uint32_t idle_snd = 0;
    std::uint32_t idle_ack = 0;
    std::uint32_t reset_idle = 0;        // at the reset: the idle before our last send
    std::uint32_t reset_after_send = 0;  // at the reset: since that send
    std::uint32_t reset_packets_out = 0;
    std::uint32_t total_retrans = 0;
    std::uint32_t retransmitting_ms = 0;  // since the unacknowledged head was first sent
    std::uint8_t probes_out = 0;
    std::uint8_t retransmits = 0;
};

inline constexpr std::size_t k_connection_end_record_size = 152;

// Whole records only: a ring buffer sample is exactly one.
Result<ConnectionEnd> parse_connection_end(std::span<const std::uint8_t> bytes);

// In the order of KT_END_REASON_* (kt_bpf_shared.h), which the counting programs use.
enum class EndReason { keepalive_timeout, retransmit_timeout, reset_received, reset_sent, error, closed };
std::string_view end_reason_name(EndReason r);
// "keepalive-timeout", ...: for --reason and the like.
std::optional<EndReason> end_reason_of(std::string_view name);

// The reason in keepalive terms, with the facts that say it. Durations in ms.
struct EndVerdict {
    EndReason reason = EndReason::closed;
    std::string error;  // the errno name the socket ended with ("ETIMEDOUT"), empty for none
    // The keepalive values the socket had (its own or its netns's), in seconds and probes.
    std::uint32_t keepalive_idle_s = 0;
    std::uint32_t keepalive_interval_s = 0;
    std::uint32_t keepalive_count = 0;
    std::uint32_t probes_sent = 0;
    // retransmit-timeout: by TCP_USER_TIMEOUT rather than tcp_retries2, and for how long.
    bool by_user_timeout = false;
    std::uint64_t retransmitted_ms = 0;
    // Idle before the end: for a reset received after our send, the idle before that send.
    std::uint64_t idle_ms = 0;
    // Before the end: since this host last sent data, since it last received data, and since
    // the peer last acknowledged anything (keepalive answers included).
    std::uint64_t last_send_ms = 0;
    std::uint64_t last_receive_ms = 0;
    std::uint64_t last_ack_ms = 0;
    bool first_send_after_idle = false;
    // reset-received after idle: the catalogue's middleboxes whose idle timeout is just below it.
    std::vector<std::string> middleboxes;
};

// `hz`: jiffies per second, never 0.
EndVerdict judge_end(const ConnectionEnd& e, std::uint32_t hz, std::span<const Middlebox> catalogue);

// The kernel's enum sk_rst_reason name for a reset's reason, lower-case with dashes taken from
// `names` (index = value, from the running kernel's BTF, which numbers them per version);
// "not-specified" where the kernel gave none or the number is not in `names`.
std::string reset_reason_name(const ConnectionEnd& e, std::span<const std::string> names);

}  // namespace kt
