// `probe`: measuring a path's idle timeout with keepalive probes alone. Several connections
// wait different idle times before their first probe; the ones whose first probe is answered
// were still known to every middlebox, the others were forgotten. Pure: the plan of each
// round, what each connection showed, and what that says.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/profile/catalogue.hpp"
#include "core/profile/profile.hpp"

namespace kt {

inline constexpr std::uint32_t k_probe_connections_default = 12;
inline constexpr std::uint32_t k_probe_connections_max = 64;
inline constexpr std::uint64_t k_probe_max_default_ms = 15 * 60 * 1000;

// Distinct whole seconds spread evenly over (lo_s, hi_s], at most n of them (TCP_KEEPIDLE has
// a resolution of one second, so a bracket is never narrower than that).
std::vector<std::uint32_t> spread_idles(std::uint32_t lo_s, std::uint32_t hi_s, std::uint32_t n);

enum class ProbeFate : std::uint8_t {
    waiting,    // its first probe is not due yet
    survived,   // the first probe was answered: every middlebox still knew the flow
    silent,     // the first probe went unanswered: forgotten and black-holed
    reset,      // reset when the first probe (or anything) arrived: forgotten, answered with RST
    closed,     // the far end closed it (FIN) before its first probe: a server or L7 idle timeout
};
const char* probe_fate_name(ProbeFate f);

struct ProbeResult {
    std::uint32_t idle_s = 0;
    ProbeFate fate = ProbeFate::waiting;
    std::uint64_t at_ms = 0;  // when it was decided, from the connection's start
};

// What tcp_info and SO_ERROR show of one probing connection.
struct ProbeSample {
    std::uint8_t state = 1;           // TCP state (1 established, 7 closed, 8 close-wait)
    int error = 0;                    // SO_ERROR: ECONNRESET, ETIMEDOUT, ...
    std::uint8_t probes = 0;          // keepalive probes out and unanswered
    std::uint32_t last_ack_recv_ms = 0;
};

// The fate of a connection `elapsed_ms` after it was set up, waiting `idle_s` before its first
// probe; `at_ms` gets when it was decided. A first probe that has had a second to be answered
// and was not is silent; an ACK that came after the probe went out means it was answered.
ProbeFate decide_probe(const ProbeSample& s, std::uint64_t elapsed_ms, std::uint32_t idle_s, std::uint64_t& at_ms);

// What a round says, and where to look next.
struct ProbeFindings {
    std::optional<std::uint32_t> survived_s;  // the longest idle whose first probe was answered
    std::optional<std::uint32_t> failed_s;    // the shortest idle whose flow was forgotten
    std::optional<ProbeFate> drop;            // how the forgotten ones showed it (silent or reset)
    std::optional<std::uint64_t> far_end_close_ms;  // the far end closed idle connections after about this
    std::uint32_t closed = 0;                 // connections the far end closed first
};

// Combines every result so far (of all rounds).
ProbeFindings probe_findings(std::span<const ProbeResult> results);

// The second round: between the longest survivor and the shortest failure, when they are more
// than a second apart; nothing when the bracket is already as narrow as keepalive allows.
std::vector<std::uint32_t> narrowing_round(const ProbeFindings& f, std::uint32_t max_s, std::uint32_t n);

// What limited the measurement.
enum class ProbeLimit {
    middlebox,    // a flow was forgotten: the bracket is the path's idle timeout
    far_end,      // the far end closed idle connections before anything forgot them
    none,         // nothing forgot a flow up to --max
    interrupted,  // stopped before anything was decided
};
const char* probe_limit_name(ProbeLimit l);

struct ProbeConclusion {
    bool measured = false;  // false: nothing decided (the far end closed every connection, or interrupted)
    ProbeLimit limit = ProbeLimit::none;
    std::string bracket;    // "between 5m40s and 6m", "at most 6m", "none up to 15m", "not measured"
    std::string headline;   // the sentence after "path to D: "
    std::vector<std::string> matching_middleboxes;  // catalogue ids whose timeout fits the bracket
    // Profiles whose first probe comes before the path forgets a flow; empty unless a
    // middlebox limits the path (keepalive cannot beat the far end's own close).
    std::vector<std::string> profiles_that_beat;
    std::string profiles_line;                      // what the profiles mean here, for the text output
    std::vector<std::string> notes;                 // how the drop shows, a closing far end
};

ProbeConclusion conclude_probe(const ProbeFindings& f, std::uint32_t max_s, std::span<const Middlebox> catalogue,
                               std::span<const Profile> profiles, bool interrupted = false);

}  // namespace kt
