#include "core/health/probe.hpp"

#include <algorithm>

#include "core/text/duration.hpp"

namespace kt {

std::vector<std::uint32_t> spread_idles(std::uint32_t lo_s, std::uint32_t hi_s, std::uint32_t n) {
    std::vector<std::uint32_t> out;
    if (hi_s <= lo_s || n == 0) return out;
    const std::uint32_t span = hi_s - lo_s;
    for (std::uint32_t i = 1; i <= n; ++i) {
        // i-th of n evenly spaced points in (lo, hi], rounded to whole seconds.
        const auto v = static_cast<std::uint32_t>(lo_s + (std::uint64_t{span} * i + n / 2) / n);
        if (v > lo_s && (out.empty() || v != out.back())) out.push_back(v);
    }
    return out;
}

const char* probe_fate_name(ProbeFate f) {
    switch (f) {
        case ProbeFate::waiting: return "waiting";
        case ProbeFate::survived: return "survived";
        case ProbeFate::silent: return "silent";
        case ProbeFate::reset: return "reset";
        case ProbeFate::closed: return "closed";
    }
    return "?";
}

ProbeFate decide_probe(const ProbeSample& s, std::uint64_t elapsed_ms, std::uint32_t idle_s, std::uint64_t& at_ms) {
    constexpr int k_econnreset = 104, k_etimedout = 110, k_econnaborted = 103;  // Linux errno values
    constexpr std::uint8_t k_close = 7, k_close_wait = 8;
    const std::uint64_t idle_ms = std::uint64_t{idle_s} * 1000;
    at_ms = elapsed_ms;
    if (s.error == k_econnreset || s.error == k_econnaborted) return ProbeFate::reset;
    if (s.error == k_etimedout) return ProbeFate::silent;
    if (s.state == k_close_wait || (s.state == k_close && s.error == 0)) {
        // The FIN carried the last ACK: when it came.
        at_ms = elapsed_ms > s.last_ack_recv_ms ? elapsed_ms - s.last_ack_recv_ms : 0;
        return ProbeFate::closed;
    }
    if (elapsed_ms < idle_ms) return ProbeFate::waiting;
    const std::uint64_t ack_at = elapsed_ms > s.last_ack_recv_ms ? elapsed_ms - s.last_ack_recv_ms : 0;
    // The probe leaves at about idle_ms (timer granularity: a few ms); an ACK after that answered it.
    if (s.probes == 0 && ack_at + 200 >= idle_ms) {
        at_ms = ack_at;
        return ProbeFate::survived;
    }
    if (s.probes > 0 && elapsed_ms >= idle_ms + 1000) return ProbeFate::silent;
    return ProbeFate::waiting;
}

ProbeFindings probe_findings(std::span<const ProbeResult> results) {
    ProbeFindings f;
    std::uint32_t silent = 0, reset = 0;
    for (const auto& r : results) {
        switch (r.fate) {
            case ProbeFate::survived:
                f.survived_s = std::max(f.survived_s.value_or(0), r.idle_s);
                break;
            case ProbeFate::silent:
            case ProbeFate::reset:
                f.failed_s = f.failed_s ? std::min(*f.failed_s, r.idle_s) : r.idle_s;
                (r.fate == ProbeFate::silent ? silent : reset)++;
                break;
            case ProbeFate::closed:
                ++f.closed;
                f.far_end_close_ms = f.far_end_close_ms ? std::min(*f.far_end_close_ms, r.at_ms) : r.at_ms;
                break;
            case ProbeFate::waiting: break;
        }
    }
    if (silent + reset > 0) f.drop = reset >= silent ? ProbeFate::reset : ProbeFate::silent;
    // A survivor above a failure means the path is not one timeout (several paths, a
    // middlebox under load): the bracket keeps the failure as its upper end.
    if (f.survived_s && f.failed_s && *f.survived_s >= *f.failed_s) f.survived_s = *f.failed_s - 1;
    return f;
}

std::vector<std::uint32_t> narrowing_round(const ProbeFindings& f, std::uint32_t max_s, std::uint32_t n) {
    const std::uint32_t lo = f.survived_s.value_or(0);
    const std::uint32_t hi = std::min(f.failed_s.value_or(max_s), max_s);
    if (!f.failed_s || hi <= lo + 1) return {};
    // Only the seconds strictly inside the bracket are worth a connection.
    auto idles = spread_idles(lo, hi - 1, std::min(n, hi - lo - 1));
    return idles;
}

const char* probe_limit_name(ProbeLimit l) {
    switch (l) {
        case ProbeLimit::middlebox: return "middlebox";
        case ProbeLimit::far_end: return "far-end";
        case ProbeLimit::none: return "none";
        case ProbeLimit::interrupted: return "interrupted";
    }
    return "none";
}

ProbeConclusion conclude_probe(const ProbeFindings& f, std::uint32_t max_s, std::span<const Middlebox> catalogue,
                               std::span<const Profile> profiles, bool interrupted) {
    ProbeConclusion c;
    const std::string max_text = format_duration_s(max_s);
    if (f.far_end_close_ms)
        c.notes.push_back(std::to_string(f.closed) + " connection(s) were closed by the far end after about " +
                          format_duration_ms(*f.far_end_close_ms) +
                          " without traffic: the server (or an L7 load balancer in front of it) closes idle "
                          "connections then, whatever keepalive does; only application traffic keeps them open");
    if (!f.survived_s && !f.failed_s) {
        c.bracket = "not measured";
        c.limit = interrupted || !f.far_end_close_ms ? ProbeLimit::interrupted : ProbeLimit::far_end;
        c.headline = c.limit == ProbeLimit::interrupted
                         ? "idle timeout not measured: interrupted before any connection's first keepalive probe"
                         : "idle timeout not measured: the far end closed every connection before its first keepalive probe";
        return c;
    }
    c.measured = true;
    // The timeout T satisfies lo < T <= hi (a flow idle lo was still known; one idle hi was not).
    const std::uint32_t lo = f.survived_s.value_or(0);
    const std::string lo_text = format_duration_s(lo);
    if (f.failed_s) {
        const std::uint32_t hi = *f.failed_s;
        c.limit = ProbeLimit::middlebox;
        c.bracket = lo == 0 ? "at most " + format_duration_s(hi) : "between " + lo_text + " and " + format_duration_s(hi);
        c.headline = "idle timeout " + c.bracket;
        c.notes.push_back(*f.drop == ProbeFate::reset
                              ? "forgotten flows are answered with a reset: the next send fails at once (ECONNRESET)"
                              : "forgotten flows are black-holed: the next send is retransmitted until the kernel gives up");
        for (const auto& m : catalogue)
            if (m.idle_timeout_seconds > lo && m.idle_timeout_seconds <= hi) c.matching_middleboxes.push_back(m.id);
        // A profile beats the path when its first probe comes before the shortest timeout: at
        // an idle the measurement showed to be still known.
        for (const auto& p : profiles)
            if (p.keepalive.enabled && p.keepalive.idle_seconds <= lo) c.profiles_that_beat.push_back(p.name);
        std::string names;
        for (const auto& n : c.profiles_that_beat) names += (names.empty() ? "" : ", ") + n;
        c.profiles_line = names.empty() ? "no installed profile probes within " + lo_text +
                                              " (the longest idle seen still known); a profile needs its first probe by then"
                                        : "profiles whose first probe comes in time: " + names;
        return c;
    }
    c.bracket = "none up to " + lo_text;
    if (f.far_end_close_ms) {
        c.limit = ProbeLimit::far_end;
        c.headline = "no idle timeout up to " + lo_text + ": the flows probed up to then were still known; the far end "
                     "closed the " + std::to_string(f.closed) + " connection(s) with longer idles after about " +
                     format_duration_ms(*f.far_end_close_ms) + ", so longer idles were not measured";
        c.profiles_line = "profiles: keepalive cannot keep these connections open; the far end closes them itself "
                          "after about " + format_duration_ms(*f.far_end_close_ms) + " idle";
        return c;
    }
    c.limit = interrupted ? ProbeLimit::interrupted : ProbeLimit::none;
    c.headline = "no idle timeout up to " + lo_text + ": every connection's flow was still known after its idle" +
                 (interrupted ? " (interrupted before --max " + max_text + ")" : " (--max " + max_text + ")");
    c.profiles_line = "profiles: nothing forgot a flow up to " + lo_text + ", so no profile is needed on this path up to then";
    return c;
}

}  // namespace kt
