#include "render/profile_view.hpp"

#include "core/text/duration.hpp"
#include "render/table.hpp"

namespace kt::render {

std::string keepalive_triplet(const KeepaliveSettings& ka) {
    if (!ka.enabled) return "off";
    return std::to_string(ka.idle_seconds) + "/" + std::to_string(ka.interval_seconds) + "/" +
           std::to_string(ka.count);
}

nlohmann::json keepalive_json(const KeepaliveSettings& ka) {
    return {{"enabled", ka.enabled},
            {"idle_seconds", ka.idle_seconds},
            {"interval_seconds", ka.interval_seconds},
            {"count", ka.count}};
}

namespace {
std::string user_timeout_text(const Profile& p) {
    if (!p.user_timeout_ms) return "-";
    if (*p.user_timeout_ms == 0) return "off";
    return format_duration_ms(*p.user_timeout_ms);
}

nlohmann::json detection_json(const Detection& d) {
    nlohmann::json j;
    j["ms"] = d.ms ? nlohmann::json(*d.ms) : nlohmann::json(nullptr);
    j["limited_by"] = detection_limit_name(d.limited_by);
    return j;
}

std::string budget_line_text(const BudgetLine& l, const Profile& p) {
    const Middlebox& m0 = *l.middlebox;
    // The host's own middleboxes are not in the catalogue: their names say what they are.
    Middlebox m = m0;
    if (m.id.starts_with("host-")) m.id += " [" + m.name + "]";
    const std::string timeout = format_duration_s(m.idle_timeout_seconds);
    switch (l.verdict) {
        case Verdict::beats:
            return "beats   " + m.id + " (" + timeout + " idle timeout): first probe at " +
                   format_duration_s(p.keepalive.idle_seconds) + ", " + format_duration_s(std::uint64_t(l.margin_seconds)) +
                   " to spare";
        case Verdict::loses:
            if (!p.keepalive.enabled) return "LOSES   " + m.id + " (" + timeout + " idle timeout): keepalive is off";
            return "LOSES   " + m.id + " (" + timeout + " idle timeout): first probe at " +
                   format_duration_s(p.keepalive.idle_seconds) + ", " +
                   format_duration_s(std::uint64_t(-l.margin_seconds)) + " too late; lower idle_seconds below " +
                   std::to_string(m.idle_timeout_seconds);
        case Verdict::not_refreshed:
            return "WARNING " + m.id + " (" + timeout +
                   " idle timeout): keepalive probes do not refresh it; only application traffic does" +
                   (m.note.empty() ? std::string() : " (" + m.note + ")");
    }
    return {};
}
}  // namespace

std::string detection_text(const Detection& d) {
    switch (d.limited_by) {
        case DetectionLimit::never: return "never";
        case DetectionLimit::retries: return "~" + format_duration_ms(k_default_retries_timeout_ms) + " (tcp_retries2)";
        case DetectionLimit::probe_count:
        case DetectionLimit::user_timeout: return d.ms ? format_duration_ms(*d.ms) : "-";
    }
    return "-";
}

std::string profile_list_text(std::span<const Profile> profiles) {
    Table t({"NAME", "IDLE/INTVL/CNT", "USER-TIMEOUT", "DEAD-PEER(idle)", "DEAD-PEER(unacked)", "PURPOSE"});
    for (const auto& p : profiles) {
        t.add({p.name, keepalive_triplet(p.keepalive), user_timeout_text(p),
               detection_text(idle_peer_detection(p.keepalive, p.user_timeout_ms)),
               detection_text(unacked_data_detection(p.user_timeout_ms)), p.summary});
    }
    return t.str();
}

nlohmann::json profile_list_json(std::span<const Profile> profiles) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& p : profiles) {
        list.push_back({{"name", p.name},
                        {"summary", p.summary},
                        {"keepalive", keepalive_json(p.keepalive)},
                        {"user_timeout_ms", p.user_timeout_ms ? nlohmann::json(*p.user_timeout_ms) : nlohmann::json()},
                        {"dead_peer_idle", detection_json(idle_peer_detection(p.keepalive, p.user_timeout_ms))},
                        {"dead_peer_unacked", detection_json(unacked_data_detection(p.user_timeout_ms))},
                        {"source", p.source}});
    }
    return {{"profiles", list}};
}

std::string budget_text(const Profile& p, std::span<const BudgetLine> budget) {
    std::string out;
    if (budget.empty()) return "  (no middleboxes on the path)\n";
    for (const auto& l : budget) out += "  " + budget_line_text(l, p) + "\n";
    return out;
}

nlohmann::json budget_json(std::span<const BudgetLine> budget) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& l : budget) {
        list.push_back({{"middlebox", l.middlebox->id},
                        {"name", l.middlebox->name},
                        {"idle_timeout_seconds", l.middlebox->idle_timeout_seconds},
                        {"refreshed_by_keepalive", l.middlebox->refreshed_by_keepalive},
                        {"margin_seconds", l.margin_seconds},
                        {"verdict", verdict_name(l.verdict)}});
    }
    return list;
}

std::string profile_show_text(const Profile& p, std::span<const BudgetLine> budget) {
    const auto idle = idle_peer_detection(p.keepalive, p.user_timeout_ms);
    const auto unacked = unacked_data_detection(p.user_timeout_ms);
    std::string out;
    out += "name:          " + p.name + "\n";
    out += "file:          " + p.source + "\n";
    out += "summary:       " + p.summary + "\n";
    out += "keepalive:     " + std::string(p.keepalive.enabled ? "on" : "off") + "\n";
    out += "  idle:        " + std::to_string(p.keepalive.idle_seconds) + " s (first probe after this much silence)\n";
    out += "  interval:    " + std::to_string(p.keepalive.interval_seconds) + " s\n";
    out += "  count:       " + std::to_string(p.keepalive.count) + " probes\n";
    out += "user timeout:  " +
           (p.user_timeout_ms ? (*p.user_timeout_ms == 0 ? std::string("0 (off)") : std::to_string(*p.user_timeout_ms) + " ms")
                              : std::string("not set (the socket's own value is left alone)")) +
           "\n";
    out += "dead peer, idle connection:      " + detection_text(idle);
    if (idle.limited_by == DetectionLimit::user_timeout) out += " (the user timeout ends probing, not the count)";
    out += "\n";
    out += "dead peer, data unacknowledged:  " + detection_text(unacked) + "\n";
    for (const auto& hole : profile_holes(p)) out += "hole: " + hole + "\n";
    out += "path:\n" + budget_text(p, budget);
    out += "\n" + p.description + "\n";
    return out;
}

nlohmann::json profile_show_json(const Profile& p, std::span<const BudgetLine> budget) {
    return {{"name", p.name},
            {"source", p.source},
            {"summary", p.summary},
            {"description", p.description},
            {"keepalive", keepalive_json(p.keepalive)},
            {"user_timeout_ms", p.user_timeout_ms ? nlohmann::json(*p.user_timeout_ms) : nlohmann::json()},
            {"path", p.path},
            {"dead_peer_idle", detection_json(idle_peer_detection(p.keepalive, p.user_timeout_ms))},
            {"dead_peer_unacked", detection_json(unacked_data_detection(p.user_timeout_ms))},
            {"holes", profile_holes(p)},
            {"budget", budget_json(budget)},
            {"budget_loses", budget_loses(budget)}};
}

}  // namespace kt::render
