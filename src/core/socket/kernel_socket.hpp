// A TCP socket as the BPF socket iterator sees it: the keepalive values configured on the
// socket itself, which getsockopt cannot tell from the netns sysctls they default to.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/socket/socket_options.hpp"
#include "core/socket/socket_record.hpp"
#include "core/text/error.hpp"

namespace kt {

inline constexpr std::uint32_t k_no_oow_segment = 0xffffffff;

struct KernelSocket {
    std::uint64_t cookie = 0;
    std::uint32_t netns_inode = 0;
    std::uint32_t inode = 0;  // 0: no file yet (waiting in an accept queue) or closed (orphan)
    std::uint8_t family = k_family_inet;
    std::uint8_t state = 0;
    bool keepalive = false;
    Endpoint local;
    Endpoint peer;
    // As stored in tcp_sock: jiffies, 0 = "not set on this socket, the sysctl applies".
    std::uint32_t idle_jiffies = 0;
    std::uint32_t interval_jiffies = 0;
    std::uint8_t count = 0;
    std::uint32_t user_timeout_ms = 0;
    std::uint32_t idle_recv_jiffies = 0;
    std::uint32_t idle_send_jiffies = 0;
    std::uint32_t idle_ack_jiffies = 0;
    // Since the last segment answered as out of window (a peer's keepalive probe);
    // k_no_oow_segment when there was none.
    std::uint32_t idle_oow_jiffies = k_no_oow_segment;
    std::uint32_t unacked = 0;
    std::uint32_t probes_out = 0;
    std::uint32_t rto_jiffies = 0;
    std::uint32_t total_retrans = 0;
    std::uint8_t retransmits = 0;
    std::uint8_t backoff = 0;
    // The timer sock_diag would report, and the jiffies until it fires.
    DiagTimer timer = DiagTimer::none;
    std::uint32_t timer_jiffies = 0;
};

// The bytes one iterator pass wrote: whole fixed-size records, nothing else.
Result<std::vector<KernelSocket>> parse_kernel_sockets(std::span<const std::uint8_t> bytes);
inline constexpr std::size_t k_kernel_socket_record_size = 112;
// A socket's options alone, from a pass that wrote only those (inspect --exact): a quarter of
// a KernelSocket, as a pass of 100k sockets is read while the sock_diag dump waits for it.
// Fields as in KernelSocket.
struct SocketOptionsRecord {
    std::uint64_t cookie = 0;
    std::uint32_t idle_jiffies = 0;
    std::uint32_t interval_jiffies = 0;
    std::uint32_t user_timeout_ms = 0;
    std::uint8_t count = 0;
    bool keepalive = false;
};
Result<std::vector<SocketOptionsRecord>> parse_socket_options_records(std::span<const std::uint8_t> bytes);
inline constexpr std::size_t k_socket_options_record_size = 24;

// A socket as an apply pass left it: its options read under its lock right after its writes,
// the writes of its sequence that went through, and the errno of the one that failed (0 when
// none did).
struct AppliedSocket : SocketOptionsRecord {
    std::uint32_t writes_done = 0;
    std::uint32_t write_errno = 0;
};
Result<std::vector<AppliedSocket>> parse_applied_sockets(std::span<const std::uint8_t> bytes);
inline constexpr std::size_t k_applied_socket_record_size = 32;

// A socket as a plan pass reported it: a target it planned and changed in the kernel, a
// listener (for roles), or a connection without a file that may wait in an accept queue.
enum class PlannedKind : std::uint8_t { target = 1, listener = 2, unaccepted = 3 };
// What the pass did to a target: nothing to change, changed, a write failed and those before it
// were put back, or putting them back failed too; or, in a pass that only checks, that it
// differs from the profile.
enum class PassOutcome : std::uint8_t { none = 0, compliant = 1, changed = 2, failed = 3, put_back_failed = 4, drift = 5 };
struct PlannedSocket {
    std::uint64_t cookie = 0;
    std::uint32_t inode = 0;
    PlannedKind kind = PlannedKind::target;
    PassOutcome outcome = PassOutcome::none;
    std::uint8_t state = 0;
    std::uint8_t writes_done = 0;
    std::uint8_t failed_option = 0;  // as kt::SocketOption, when a write failed
    std::uint16_t write_errno = 0;
    Endpoint local;
    Endpoint peer;
    SocketOptionsRecord before;  // as stored, before the writes
    SocketOptionsRecord after;   // as stored after them, read under the same lock
    // The timer sock_diag would report, and the jiffies until it fires.
    DiagTimer timer = DiagTimer::none;
    std::uint32_t timer_jiffies = 0;
};
Result<std::vector<PlannedSocket>> parse_planned_sockets(std::span<const std::uint8_t> bytes);
inline constexpr std::size_t k_planned_socket_record_size = 96;

// The netns defaults a socket inherits what it did not set.
struct KeepaliveDefaults {
    std::uint32_t idle_seconds = 7200;
    std::uint32_t interval_seconds = 75;
    std::uint32_t count = 9;
};

// Exact values: what getsockopt would return, and which of them the socket only inherits.
struct ExactOptions {
    SocketOptions options;
    bool idle_inherited = false;
    bool interval_inherited = false;
    bool count_inherited = false;
};

// `hz` is the kernel's CONFIG_HZ (jiffies per second), never 0. Any record with the fields of
// KernelSocket's options (keepalive, idle_jiffies, interval_jiffies, count, user_timeout_ms)
// will do: the engines keep smaller ones than KernelSocket.
template <class Record>
ExactOptions exact_options_of(const Record& s, std::uint32_t hz, const KeepaliveDefaults& netns) {
    ExactOptions e;
    e.options.keepalive = s.keepalive;
    e.idle_inherited = s.idle_jiffies == 0;
    e.interval_inherited = s.interval_jiffies == 0;
    e.count_inherited = s.count == 0;
    // TCP_KEEPIDLE stores seconds * HZ, so the division is exact for values set in seconds.
    e.options.idle_seconds = e.idle_inherited ? netns.idle_seconds : s.idle_jiffies / hz;
    e.options.interval_seconds = e.interval_inherited ? netns.interval_seconds : s.interval_jiffies / hz;
    e.options.count = e.count_inherited ? netns.count : s.count;
    e.options.user_timeout_ms = s.user_timeout_ms;
    return e;
}
ExactOptions exact_options(const KernelSocket& s, std::uint32_t hz, const KeepaliveDefaults& netns);
ExactOptions exact_options(const SocketOptionsRecord& s, std::uint32_t hz, const KeepaliveDefaults& netns);

// What tcp_info (INET_DIAG_INFO) would report of the socket's idle times and retransmissions,
// computed as tcp_get_info does from the same fields. `hz` as above.
TcpInfo tcp_info_of(const KernelSocket& s, std::uint32_t hz);

// The socket as a sock_diag dump with tcp_info would give it (inet_sk_diag_fill): the
// retransmit count or the keepalive probes out as idiag_retrans, by timer. A dump's uid and
// queue lengths are not in the pass, and stay 0. `hz` as above.
SocketRecord socket_record_of(const KernelSocket& s, std::uint32_t hz);

// A connection established but not yet accept()ed: it is in a listener's queue and has no
// file (CLOSE_WAIT when the peer closed before the accept). Orphans are in closing states.
bool in_accept_queue(const KernelSocket& s);
bool in_accept_queue(std::uint32_t inode, std::uint8_t state);

// A socket file held by a process, from the BPF task-file iterator.
struct SocketFile {
    std::int32_t pid = 0;
    std::int32_t fd = 0;
    std::uint32_t inode = 0;
    std::string comm;
};
inline constexpr std::size_t k_socket_file_record_size = 32;
Result<std::vector<SocketFile>> parse_socket_files(std::span<const std::uint8_t> bytes);

}  // namespace kt
