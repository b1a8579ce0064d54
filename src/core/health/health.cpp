#include "core/health/health.hpp"

#include <algorithm>

#include "core/socket/tcp_state.hpp"
#include "core/text/duration.hpp"
#include "core/text/nearest.hpp"
#include "core/text/word_list.hpp"

namespace kt {

namespace {
constexpr std::array<std::string_view, k_verdict_count> k_names = {
    "ok", "at-risk", "likely-dropped", "peer-closed", "retransmitting", "probing", "unverified"};

std::string ms_text(std::uint64_t ms) { return format_duration_ms(ms); }

// The next keepalive timer firing sends a probe (or ends the connection), so it is when
// keepalive next refreshes the path; unknown when no keepalive timer is pending.
std::optional<std::uint64_t> next_probe_in_ms(const SocketRecord& s) {
    if (s.timer != DiagTimer::keepalive) return std::nullopt;
    return s.expires_ms;
}

// How long the head segment has gone unacknowledged, which is what the kernel holds against
// TCP_USER_TIMEOUT (retrans_stamp is the head segment's first send). tcp_info has no such
// stamp, but each retransmission updates the last-data-sent time, and the backoff says how
// far apart the earlier ones were: RTO, 2 RTO, 4 RTO... (capped at TCP_RTO_MAX), so the head
// went out that long before the last retransmission. No ACK came since either.
std::uint64_t stalled_ms(const TcpInfo& info) {
    const std::uint64_t base = (std::uint64_t{info.rto_us} / 1000) >> std::min<std::uint8_t>(info.backoff, 31);
    std::uint64_t before = 0;
    for (unsigned i = 0; i < info.retransmits; ++i) before += std::min<std::uint64_t>(base << std::min(i, 20u), 120'000);
    return std::min<std::uint64_t>(info.last_ack_recv_ms, info.last_data_sent_ms + before);
}

HealthJudgement retransmitting(const SocketRecord& s, const HealthContext& c, std::uint64_t idle) {
    HealthJudgement j;
    j.verdict = HealthVerdict::retransmitting;
    j.idle_ms = idle;
    const std::uint64_t stalled = stalled_ms(s.info);
    const bool uto = c.exact && c.exact->user_timeout_ms > 0;
    j.limit_ms = uto ? c.exact->user_timeout_ms : retries_timeout_ms(c.defaults.tcp_retries2);
    j.limit_is_user_timeout = uto;
    j.deadline_ms = *j.limit_ms > stalled ? *j.limit_ms - stalled : 0;
    j.reason = std::to_string(s.info.unacked) + " segment(s) unacknowledged, retransmitted " +
               std::to_string(s.info.retransmits) + " time(s), nothing heard for " + ms_text(stalled) +
               "; the kernel gives up in about " + ms_text(*j.deadline_ms) + " (" +
               (uto ? "TCP_USER_TIMEOUT " + ms_text(*j.limit_ms)
                    : (c.exact ? std::string("no TCP_USER_TIMEOUT") : std::string("TCP_USER_TIMEOUT unknown")) +
                          ": tcp_retries2=" + std::to_string(c.defaults.tcp_retries2) + " bound " + ms_text(*j.limit_ms)) +
               ")";
    return j;
}

HealthJudgement probing(const SocketRecord& s, const HealthContext& c, std::uint64_t idle) {
    HealthJudgement j;
    j.verdict = HealthVerdict::probing;
    j.idle_ms = idle;
    const std::uint32_t count = c.exact ? c.exact->count : c.defaults.keepalive_probes;
    const std::uint64_t interval = std::uint64_t{c.exact ? c.exact->interval_seconds : c.defaults.keepalive_intvl_s} * 1000;
    const std::uint32_t out = std::max<std::uint32_t>(s.retrans, s.has_info ? s.info.probes : 0);
    // tcp_keepalive_timer: each firing sends a probe until `count` are out, and the firing
    // after that ends the connection; a user timeout ends it at the first firing past it.
    const std::uint64_t first = s.timer == DiagTimer::keepalive ? s.expires_ms : 0;
    std::uint64_t dead = first + (count > out ? count - out : 0) * interval;
    if (c.exact && c.exact->user_timeout_ms > 0) {
        const std::uint64_t uto = c.exact->user_timeout_ms;
        const std::uint64_t left = uto > idle ? uto - idle : 0;
        const std::uint64_t at = left <= first ? first : first + (left - first + interval - 1) / interval * interval;
        dead = std::min(dead, at);
    }
    j.deadline_ms = dead;
    j.reason = std::to_string(out) + " of " + std::to_string(count) + " keepalive probes unanswered" +
               (c.exact ? "" : " (count from the netns default; the socket may set its own)") +
               "; declared dead in about " + ms_text(dead);
    return j;
}
}  // namespace

std::string_view verdict_name(HealthVerdict v) { return k_names[static_cast<std::size_t>(v)]; }

Result<std::uint8_t> parse_verdict_list(std::string_view list, std::string_view flag) {
    std::uint8_t bits = 0;
    for (const auto word : split_words(list)) {
        const auto it = std::find(k_names.begin(), k_names.end(), word);
        if (it == k_names.end())
            return fail(std::string(flag) + " " + std::string(word),
                        "unknown verdict" + did_you_mean(word, k_names) +
                            "; one of ok, at-risk, likely-dropped, peer-closed, retransmitting, probing, unverified");
        bits = static_cast<std::uint8_t>(bits | (1u << (it - k_names.begin())));
    }
    if (bits == 0) return fail(std::string(flag), "give at least one verdict");
    return bits;
}

bool judged_state(std::uint8_t state) {
    switch (static_cast<TcpState>(state)) {
        case TcpState::listen:
        case TcpState::time_wait:
        case TcpState::syn_recv:
        case TcpState::new_syn_recv:
        case TcpState::close: return false;
        default: return state >= 1 && state <= k_tcp_state_max;
    }
}

bool is_orphan(const SocketRecord& s) {
    if (s.inode != 0) return false;
    switch (static_cast<TcpState>(s.state)) {
        case TcpState::fin_wait1:
        case TcpState::fin_wait2:
        case TcpState::closing:
        case TcpState::last_ack: return true;
        default: return false;
    }
}

std::uint64_t retries_timeout_ms(std::uint32_t tcp_retries2) {
    // tcp_model_timeout(): exponential backoff from TCP_RTO_MIN up to TCP_RTO_MAX, then linear.
    constexpr std::uint64_t rto_min = 200, rto_max = 120'000;
    constexpr std::uint32_t linear_after = 9;  // ilog2(TCP_RTO_MAX / TCP_RTO_MIN)
    if (tcp_retries2 <= linear_after) return ((std::uint64_t{2} << tcp_retries2) - 1) * rto_min;
    return ((std::uint64_t{2} << linear_after) - 1) * rto_min + (tcp_retries2 - linear_after) * rto_max;
}

std::uint64_t syn_retries_timeout_ms(std::uint32_t tcp_syn_retries) {
    constexpr std::uint64_t rto_init = 1000, rto_max = 120'000;
    constexpr std::uint32_t linear_after = 6;  // ilog2(TCP_RTO_MAX / TCP_TIMEOUT_INIT)
    if (tcp_syn_retries <= linear_after) return ((std::uint64_t{2} << tcp_syn_retries) - 1) * rto_init;
    return ((std::uint64_t{2} << linear_after) - 1) * rto_init + (tcp_syn_retries - linear_after) * rto_max;
}

namespace {
// A connect() still sending its SYN: tcp_info's times count from nothing (no data was ever
// sent or received), so its age is what the SYN retransmissions took so far, each RTO double
// the last from the initial one, and it gives up at tcp_syn_retries (or the user timeout).
HealthJudgement connecting(const SocketRecord& s, const HealthContext& c) {
    HealthJudgement j;
    j.verdict = HealthVerdict::retransmitting;
    const std::uint64_t rto_ms = std::uint64_t{s.info.rto_us} / 1000;
    const std::uint64_t first_rto = rto_ms >> std::min<std::uint8_t>(s.info.backoff, 31);
    std::uint64_t age = 0;
    for (unsigned i = 0; i < s.info.retransmits; ++i) age += std::min<std::uint64_t>(first_rto << std::min(i, 20u), 120'000);
    j.idle_ms = age;
    const bool uto = c.exact && c.exact->user_timeout_ms > 0;
    j.limit_ms = uto ? c.exact->user_timeout_ms : syn_retries_timeout_ms(c.defaults.tcp_syn_retries);
    j.limit_is_user_timeout = uto;
    j.deadline_ms = *j.limit_ms > age ? *j.limit_ms - age : 0;
    j.reason = "connecting: the SYN was retransmitted " + std::to_string(s.info.retransmits) +
               " time(s) with no answer, for at least " + ms_text(age) + "; connect() gives up in at most " +
               ms_text(*j.deadline_ms) + " (" +
               (uto ? "TCP_USER_TIMEOUT " + ms_text(*j.limit_ms)
                    : "tcp_syn_retries=" + std::to_string(c.defaults.tcp_syn_retries) + " bound " + ms_text(*j.limit_ms)) +
               ")";
    return j;
}
}  // namespace

HealthJudgement judge_connection(const SocketRecord& s, const HealthContext& c) {
    const std::uint64_t idle = s.has_info ? s.info.idle_ms() : 0;
    if (s.state == static_cast<std::uint8_t>(TcpState::close_wait)) {
        HealthJudgement j;
        j.verdict = HealthVerdict::peer_closed;
        j.idle_ms = idle;
        j.reason = "the peer closed it " + ms_text(s.has_info ? s.info.last_ack_recv_ms : 0) +
                   " ago and the owner has not (CLOSE_WAIT)";
        if (auto before = idle_before_peer_close_ms(s)) j.reason += "; it had been idle " + ms_text(*before) + " then";
        return j;
    }
    if (s.state == static_cast<std::uint8_t>(TcpState::syn_sent)) {
        if (s.has_info && s.info.retransmits > 0) return connecting(s, c);
        HealthJudgement j;  // its first SYN is out: nothing to judge yet, and no idle time
        return j;
    }
    if (s.has_info && s.info.unacked > 0 && s.info.retransmits > 0) return retransmitting(s, c, idle);
    if ((s.timer == DiagTimer::keepalive && s.retrans > 0) || (s.has_info && s.info.probes > 0 && s.info.unacked == 0))
        return probing(s, c, idle);

    HealthJudgement j;
    j.idle_ms = idle;
    if (!s.has_info || !c.path || s.state != static_cast<std::uint8_t>(TcpState::established)) return j;
    const auto next_probe = next_probe_in_ms(s);
    const auto& peer_probe = s.info.peer_probe_ms;
    for (const auto& hop : *c.path) {
        const std::uint64_t t = hop.idle_timeout_ms;
        // The peer's keepalive probes refresh a hop that keepalive refreshes, whichever side
        // sends them; where they cannot be seen, nothing can be said of such a hop.
        const bool unseen = hop.refreshed_by_keepalive && !peer_probe;
        const std::uint64_t hop_idle = hop.refreshed_by_keepalive && peer_probe && *peer_probe != k_no_peer_probe
                                           ? std::min<std::uint64_t>(idle, *peer_probe)
                                           : idle;
        if (hop_idle > t && !unseen) {
            if (j.verdict != HealthVerdict::likely_dropped || t < j.hop->idle_timeout_ms) {
                j.verdict = HealthVerdict::likely_dropped;
                j.hop = &hop;
                j.deadline_ms.reset();
            }
            continue;
        }
        if (j.verdict == HealthVerdict::likely_dropped) continue;
        const bool refreshed = hop.refreshed_by_keepalive && next_probe && hop_idle + *next_probe < t;
        if (!refreshed && hop_idle * 2 > t && (!j.hop || t < j.hop->idle_timeout_ms)) {
            j.verdict = unseen ? HealthVerdict::unverified : HealthVerdict::at_risk;
            j.hop = &hop;
            j.deadline_ms = t >= hop_idle ? std::optional<std::uint64_t>(t - hop_idle) : std::nullopt;
        }
    }
    if (j.verdict == HealthVerdict::likely_dropped) {
        j.reason = "idle " + ms_text(idle) + ", longer than the " + ms_text(j.hop->idle_timeout_ms) + " idle timeout of " +
                   j.hop->name + ", with nothing received since" +
                   (j.hop->refreshed_by_keepalive ? " (keepalive probes from the peer included)" : "") +
                   ": the next send will be reset or black-holed";
    } else if (j.verdict == HealthVerdict::unverified) {
        j.reason = "idle " + ms_text(idle) + (idle > j.hop->idle_timeout_ms ? ", longer than the " : " of the ") +
                   ms_text(j.hop->idle_timeout_ms) + " idle timeout of " + j.hop->name +
                   " as far as tcp_info tells; keepalive probes from the peer would refresh it and tcp_info does "
                   "not show them (--engine bpf sees them)";
    } else if (j.verdict == HealthVerdict::at_risk) {
        std::string why;
        if (!j.hop->refreshed_by_keepalive)
            why = j.hop->name + " is not refreshed by keepalive probes";
        else if (!next_probe)
            why = s.timer == DiagTimer::none ? "keepalive is off" : "no keepalive timer is pending";
        else
            why = "the next keepalive probe is due in " + ms_text(*next_probe) + ", after that";
        if (j.hop->refreshed_by_keepalive) why += ", and no keepalive probe came from the peer since";
        j.reason = "idle " + ms_text(idle) + " of the " + ms_text(j.hop->idle_timeout_ms) + " idle timeout of " +
                   j.hop->name + "; " + why + ": forgotten in " + ms_text(*j.deadline_ms) + " unless it sends";
    }
    return j;
}

std::optional<std::uint64_t> idle_before_peer_close_ms(const SocketRecord& s) {
    if (!s.has_info || s.state != static_cast<std::uint8_t>(TcpState::close_wait)) return std::nullopt;
    const std::uint64_t last_data = std::min(s.info.last_data_sent_ms, s.info.last_data_recv_ms);
    // The FIN carried the last ACK received; data after it cannot be.
    if (last_data < s.info.last_ack_recv_ms) return std::nullopt;
    return last_data - s.info.last_ack_recv_ms;
}

std::uint64_t VerdictCounts::total() const {
    std::uint64_t t = 0;
    for (auto v : n) t += v;
    return t;
}

}  // namespace kt
