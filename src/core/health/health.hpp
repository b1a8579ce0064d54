// Wing core/health: verdicts per connection, roll-ups, probe. May include the wings up to change.
// Connection health: one verdict per connected socket, judged from what sock_diag and
// tcp_info say and the middleboxes on its path. Pure: records and values in, verdicts out.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/profile/network_path.hpp"
#include "core/socket/socket_options.hpp"
#include "core/socket/socket_record.hpp"
#include "core/text/error.hpp"

namespace kt {

// Worst first is not the order: the values are stable names for JSON and flags.
// unverified: idle past half of (or past) a hop's timeout that keepalive refreshes, where
// keepalive probes from the peer cannot be seen, so whether the hop still keeps the flow is not
// known; never likely-dropped or at-risk on that evidence alone.
enum class HealthVerdict : std::uint8_t { ok, at_risk, likely_dropped, peer_closed, retransmitting, probing, unverified };
inline constexpr std::size_t k_verdict_count = 7;
std::string_view verdict_name(HealthVerdict v);  // "ok", "at-risk", "likely-dropped", ...
inline constexpr std::uint8_t verdict_bit(HealthVerdict v) { return static_cast<std::uint8_t>(1u << static_cast<unsigned>(v)); }
// "peer-closed,likely-dropped" -> bits; every unknown name is an error naming `flag`.
Result<std::uint8_t> parse_verdict_list(std::string_view list, std::string_view flag);

// The verdicts that make `health` exit 1: the connection is already broken or failing.
inline constexpr std::uint8_t k_failing_verdicts = verdict_bit(HealthVerdict::likely_dropped) |
                                                   verdict_bit(HealthVerdict::peer_closed) |
                                                   verdict_bit(HealthVerdict::retransmitting);

// True for the states health judges: connected ones (not listening, time-wait or SYN_RECV).
bool judged_state(std::uint8_t state);

// Closed by its owner and finishing on its own (FIN-WAIT-1/2, CLOSING, LAST-ACK with no file).
bool is_orphan(const SocketRecord& s);

// What the kernel of the socket's namespace does when nothing else says.
struct KernelDefaults {
    std::uint32_t keepalive_time_s = 7200;
    std::uint32_t keepalive_intvl_s = 75;
    std::uint32_t keepalive_probes = 9;
    std::uint32_t tcp_retries2 = 15;
    std::uint32_t tcp_syn_retries = 6;
};

// How long retransmissions go on before the kernel gives up when no TCP_USER_TIMEOUT is set
// (tcp_model_timeout in net/ipv4/tcp_timer.c, with the 200 ms minimum RTO): 924.6 s for 15.
std::uint64_t retries_timeout_ms(std::uint32_t tcp_retries2);

// How long a connect() retransmits its SYN before giving up, without TCP_USER_TIMEOUT: the
// same model from the 1 s initial RTO (TCP_TIMEOUT_INIT), 127 s for the default 6.
std::uint64_t syn_retries_timeout_ms(std::uint32_t tcp_syn_retries);

struct HealthContext {
    const NetworkPath* path = nullptr;   // the middleboxes this connection crosses
    const SocketOptions* exact = nullptr;  // the socket's own values, when they could be read
    KernelDefaults defaults;
};

struct HealthJudgement {
    HealthVerdict verdict = HealthVerdict::ok;
    std::uint64_t idle_ms = 0;                 // nothing crossed the path for this long
    std::optional<std::uint64_t> deadline_ms;  // retransmitting: the kernel gives up in; probing:
                                               // declared dead in; at-risk: the middlebox forgets in
    std::optional<std::uint64_t> limit_ms;     // retransmitting: the user timeout or retries bound
    bool limit_is_user_timeout = false;
    const PathHop* hop = nullptr;  // the middlebox an at-risk or likely-dropped verdict is about
    std::string reason;            // words and numbers
};

// The verdict for one connected socket with tcp_info (has_info). Order of precedence:
// peer-closed (CLOSE_WAIT), retransmitting (unacknowledged data being resent), probing
// (keepalive probes unanswered), likely-dropped (idle past a middlebox's timeout, the peer's
// keepalive probes included), at-risk (nothing refreshes it before the shortest timeout and it
// is past half of it), unverified (either, but the peer's probes cannot be seen), ok.
HealthJudgement judge_connection(const SocketRecord& s, const HealthContext& c);

// For a CLOSE_WAIT socket: how long the connection had been idle when the peer's FIN came
// (its last data, to the FIN's ACK), which is about the peer's own idle timeout.
std::optional<std::uint64_t> idle_before_peer_close_ms(const SocketRecord& s);

struct VerdictCounts {
    std::array<std::uint64_t, k_verdict_count> n{};
    std::uint64_t total() const;
    std::uint64_t& operator[](HealthVerdict v) { return n[static_cast<std::size_t>(v)]; }
    std::uint64_t operator[](HealthVerdict v) const { return n[static_cast<std::size_t>(v)]; }
};

}  // namespace kt
