#include "render/trace_view.hpp"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <vector>

#include "core/socket/ip_text.hpp"
#include "core/socket/tcp_state.hpp"

namespace kt::render {

namespace {
std::string clock_text(std::uint64_t unix_ms) {
    const std::time_t t = static_cast<std::time_t>(unix_ms / 1000);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[48];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03uZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                  tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<unsigned>(unix_ms % 1000));
    return buf;
}

std::string seconds_text(std::uint64_t ms) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1fs", static_cast<double>(ms) / 1000.0);
    return buf;
}

std::string owner_text(const TraceEvent& e) {
    switch (e.owner) {
        case OwnerState::found: return std::to_string(e.pid) + " " + e.comm;
        case OwnerState::gone: return "gone";
        case OwnerState::none: break;
    }
    return "none";
}

std::string keepalive_text(const EndVerdict& v) {
    return std::to_string(v.keepalive_idle_s) + "/" + std::to_string(v.keepalive_interval_s) + "/" +
           std::to_string(v.keepalive_count);
}

// What says why, per reason.
std::string detail_text(const TraceEvent& e) {
    const auto& v = e.verdict;
    const auto& c = e.end;
    switch (v.reason) {
        case EndReason::keepalive_timeout:
            return std::to_string(v.probes_sent) + " keepalive probes unanswered (keepalive " + keepalive_text(v) +
                   "), idle " + seconds_text(v.idle_ms);
        case EndReason::retransmit_timeout:
            return "retransmitted " + seconds_text(v.retransmitted_ms) + " (" + std::to_string(c.retransmits) +
                   " retransmissions) until " +
                   (v.by_user_timeout ? "TCP_USER_TIMEOUT " + std::to_string(c.user_timeout_ms) + " ms"
                                      : "tcp_retries2 " + std::to_string(c.retries2));
        case EndReason::reset_received: {
            if (c.old_state == static_cast<std::uint8_t>(TcpState::syn_sent)) return "connection refused";
            if (!v.first_send_after_idle) return "reset while idle " + seconds_text(v.idle_ms);
            std::string s = "reset on the first send after " + seconds_text(v.idle_ms) + " idle";
            if (!v.middleboxes.empty()) {
                s += " (idle timeout just below: ";
                for (std::size_t i = 0; i < v.middleboxes.size(); ++i) s += (i ? ", " : "") + v.middleboxes[i];
                s += ")";
            }
            return s;
        }
        case EndReason::reset_sent: return "reason " + e.reset_reason;
        case EndReason::error: return v.error + ", idle " + seconds_text(v.idle_ms);
        case EndReason::closed: return "idle " + seconds_text(v.idle_ms);
    }
    return {};
}
}  // namespace

std::string trace_line(const TraceEvent& e) {
    const auto& c = e.end;
    std::string s = clock_text(e.unix_ms) + " " + std::string(end_reason_name(e.verdict.reason)) + " netns " + e.netns +
                    " " + endpoint_string(c.local) + " -> " + endpoint_string(c.peer);
    if (c.kind == EndKind::closed || c.has_socket) s += " " + std::string(tcp_state_name(c.old_state));
    if (e.role) s += " " + std::string(role_name(*e.role));
    s += ": " + detail_text(e);
    if (c.kind == EndKind::closed)
        s += "; acked " + std::to_string(c.bytes_acked) + " B, received " + std::to_string(c.bytes_received) + " B";
    s += "; owner " + owner_text(e) + "\n";
    return s;
}

nlohmann::json trace_json(const TraceEvent& e) {
    const auto& c = e.end;
    const auto& v = e.verdict;
    nlohmann::json j = {
        {"schema", k_trace_event_schema},
        {"time", clock_text(e.unix_ms)},
        {"reason", end_reason_name(v.reason)},
        {"netns", e.netns},
        {"local", endpoint_string(c.local)},
        {"peer", endpoint_string(c.peer)},
        {"family", family_name(c.family)},
    };
    j["state_before"] = c.kind == EndKind::closed || c.has_socket ? nlohmann::json(tcp_state_name(c.old_state)) : nullptr;
    j["role"] = e.role ? nlohmann::json(role_name(*e.role)) : nullptr;
    if (e.owner == OwnerState::found)
        j["owner"] = {{"pid", e.pid}, {"comm", e.comm}};
    else
        j["owner"] = nullptr;
    j["owner_state"] = e.owner == OwnerState::found ? "found" : e.owner == OwnerState::gone ? "gone" : "none";
    if (c.kind == EndKind::reset_sent) {
        j["reset_reason"] = e.reset_reason;
        return j;
    }
    j["error"] = v.error.empty() ? nlohmann::json(nullptr) : nlohmann::json(v.error);
    j["idle_ms"] = v.idle_ms;
    j["last_send_ms"] = v.last_send_ms;
    j["last_receive_ms"] = v.last_receive_ms;
    j["last_ack_ms"] = v.last_ack_ms;
    // As tcp_info's: sequence space, so the SYN and the FIN count one byte each.
    j["bytes_acked"] = c.bytes_acked;
    j["bytes_received"] = c.bytes_received;
    j["keepalive"] = {{"on", c.keepalive},
                      {"idle_s", v.keepalive_idle_s},
                      {"interval_s", v.keepalive_interval_s},
                      {"count", v.keepalive_count},
                      {"own_values", c.keepalive_time != 0 || c.keepalive_intvl != 0 || c.keepalive_probes != 0}};
    j["user_timeout_ms"] = c.user_timeout_ms;
    j["probes_sent"] = v.probes_sent;
    j["retransmissions"] = c.retransmits;
    j["retransmitted_ms"] = v.retransmitted_ms;
    j["by_user_timeout"] = v.by_user_timeout;
    j["first_send_after_idle"] = v.first_send_after_idle;
    j["middleboxes"] = v.middleboxes;
    return j;
}

void TraceSummary::add(const TraceEvent& e) {
    ++m_events;
    const std::string reason(end_reason_name(e.verdict.reason));
    ++m_by_reason[reason];
    ++m_by_destination[{reason, endpoint_string(e.end.peer)}];
    ++m_by_owner[owner_text(e)];
}

namespace {
template <typename Key>
std::vector<std::pair<Key, std::uint64_t>> top_of(const std::map<Key, std::uint64_t>& m, std::size_t top) {
    std::vector<std::pair<Key, std::uint64_t>> v(m.begin(), m.end());
    std::stable_sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
    if (v.size() > top) v.resize(top);
    return v;
}
}  // namespace

std::string TraceSummary::text(double seconds, std::size_t top) const {
    char head[160];
    std::snprintf(head, sizeof head, "%llu connection ends in %.1f s, %llu lost (ring buffer full)\n",
                  static_cast<unsigned long long>(m_events), seconds, static_cast<unsigned long long>(m_lost));
    std::string s = head;
    for (const auto& [reason, n] : m_by_reason) s += "  " + reason + ": " + std::to_string(n) + "\n";
    if (!m_by_destination.empty()) s += "by reason and destination (top " + std::to_string(top) + "):\n";
    for (const auto& [key, n] : top_of(m_by_destination, top))
        s += "  " + key.first + " " + key.second + ": " + std::to_string(n) + "\n";
    if (!m_by_owner.empty()) s += "by owner (top " + std::to_string(top) + "):\n";
    for (const auto& [owner, n] : top_of(m_by_owner, top)) s += "  " + owner + ": " + std::to_string(n) + "\n";
    return s;
}

nlohmann::json TraceSummary::json(double seconds, std::size_t top) const {
    nlohmann::json j = {{"schema", k_trace_summary_schema}, {"seconds", seconds}, {"events", m_events}, {"lost", m_lost}};
    j["by_reason"] = nlohmann::json::object();
    for (const auto& [reason, n] : m_by_reason) j["by_reason"][reason] = n;
    j["by_destination"] = nlohmann::json::array();
    for (const auto& [key, n] : top_of(m_by_destination, top))
        j["by_destination"].push_back({{"reason", key.first}, {"peer", key.second}, {"count", n}});
    j["by_owner"] = nlohmann::json::array();
    for (const auto& [owner, n] : top_of(m_by_owner, top)) j["by_owner"].push_back({{"owner", owner}, {"count", n}});
    return j;
}

}  // namespace kt::render
