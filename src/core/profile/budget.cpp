#include "core/profile/budget.hpp"

namespace kt {

Detection idle_peer_detection(const KeepaliveSettings& ka, std::optional<std::uint32_t> user_timeout_ms) {
    if (!ka.enabled) return {std::nullopt, DetectionLimit::never};
    const std::uint64_t idle_ms = std::uint64_t{ka.idle_seconds} * 1000;
    const std::uint64_t interval_ms = std::uint64_t{ka.interval_seconds} * 1000;
    if (user_timeout_ms && *user_timeout_ms > 0) {
        // Firings at idle + k x interval; the first probe goes out at k = 0, so the reset
        // comes at the first k >= 1 with idle + k x interval >= user timeout.
        std::uint64_t k = 1;
        if (*user_timeout_ms > idle_ms) {
            const std::uint64_t beyond = *user_timeout_ms - idle_ms;
            k = std::max<std::uint64_t>(1, (beyond + interval_ms - 1) / interval_ms);
        }
        return {idle_ms + k * interval_ms, DetectionLimit::user_timeout};
    }
    return {idle_ms + interval_ms * ka.count, DetectionLimit::probe_count};
}

Detection unacked_data_detection(std::optional<std::uint32_t> user_timeout_ms) {
    if (user_timeout_ms && *user_timeout_ms > 0) return {*user_timeout_ms, DetectionLimit::user_timeout};
    return {std::nullopt, DetectionLimit::retries};
}

std::vector<BudgetLine> path_budget(const KeepaliveSettings& ka, std::span<const std::string> path,
                                    std::span<const Middlebox> catalogue) {
    std::vector<BudgetLine> lines;
    for (const auto& id : path) {
        const Middlebox* m = find_middlebox(catalogue, id);
        if (!m) continue;
        BudgetLine line;
        line.middlebox = m;
        line.margin_seconds = std::int64_t{m->idle_timeout_seconds} - std::int64_t{ka.idle_seconds};
        if (!m->refreshed_by_keepalive)
            line.verdict = Verdict::not_refreshed;
        else if (!ka.enabled || line.margin_seconds <= 0)
            line.verdict = Verdict::loses;
        else
            line.verdict = Verdict::beats;
        lines.push_back(line);
    }
    return lines;
}

bool budget_loses(std::span<const BudgetLine> lines) {
    for (const auto& l : lines)
        if (l.verdict != Verdict::beats) return true;
    return false;
}

std::vector<std::string> profile_holes(const Profile& p) {
    std::vector<std::string> holes;
    if (!p.keepalive.enabled)
        holes.emplace_back("keepalive is off: a peer that dies while the connection is idle is never noticed");
    if (!p.user_timeout_ms || *p.user_timeout_ms == 0)
        holes.emplace_back(
            "no user timeout: a peer that dies while data is unacknowledged is noticed only after the "
            "kernel's retransmission backoff (about 15 min with tcp_retries2=15); set user_timeout_ms to bound it");
    return holes;
}

const char* verdict_name(Verdict v) {
    switch (v) {
        case Verdict::beats: return "beats";
        case Verdict::loses: return "loses";
        case Verdict::not_refreshed: return "not-refreshed";
    }
    return "?";
}

const char* detection_limit_name(DetectionLimit l) {
    switch (l) {
        case DetectionLimit::probe_count: return "probe_count";
        case DetectionLimit::user_timeout: return "user_timeout";
        case DetectionLimit::retries: return "tcp_retries2";
        case DetectionLimit::never: return "never";
    }
    return "?";
}

}  // namespace kt
