#include "render/health_view.hpp"

#include <algorithm>

#include "core/socket/ip_text.hpp"
#include "core/socket/json_shapes.hpp"
#include "core/socket/tcp_state.hpp"
#include "core/text/duration.hpp"
#include "render/netns_identity_view.hpp"
#include "render/table.hpp"
#include "render/timewait_view.hpp"

namespace kt::render {

namespace {
constexpr HealthVerdict k_all[] = {HealthVerdict::ok,          HealthVerdict::at_risk,        HealthVerdict::likely_dropped,
                                   HealthVerdict::peer_closed, HealthVerdict::retransmitting, HealthVerdict::probing,
                                   HealthVerdict::unverified};

std::string counts_text(const VerdictCounts& c) {
    std::string s = std::to_string(c.total()) + " connection(s):";
    for (const auto v : k_all) s += " " + std::string(verdict_name(v)) + " " + std::to_string(c[v]) + ",";
    s.pop_back();
    return s;
}

std::string hop_text(const PathHop& h) {
    return h.name + " " + format_duration_ms(h.idle_timeout_ms) + (h.refreshed_by_keepalive ? "" : " (keepalive does not refresh it)");
}

nlohmann::json hop_json(const PathHop& h) {
    return {{"name", h.name}, {"idle_timeout_ms", h.idle_timeout_ms}, {"refreshed_by_keepalive", h.refreshed_by_keepalive}};
}

nlohmann::json optional_ms(const std::optional<std::uint64_t>& v) { return v ? nlohmann::json(*v) : nlohmann::json(); }

void group_rows(Table& t, const std::vector<HealthGroup>& groups) {
    for (const auto& g : groups) {
        std::vector<std::string> row{g.label, std::to_string(g.counts.total())};
        for (const auto v : k_all) row.push_back(std::to_string(g.counts[v]));
        t.add(std::move(row));
    }
}

std::vector<std::string> group_header(const char* first) {
    return {first, "TOTAL", "OK", "AT-RISK", "DROPPED", "PEER-CLOSED", "RETRANSMITTING", "PROBING", "UNVERIFIED"};
}
}  // namespace

nlohmann::json counts_json(const VerdictCounts& c) {
    nlohmann::json j = nlohmann::json::object();
    for (const auto v : k_all) j[std::string(verdict_name(v))] = c[v];
    j["total"] = c.total();
    return j;
}

nlohmann::json connection_json(const JudgedConnection& c) {
    const auto& s = c.record;
    const auto& j = c.judgement;
    nlohmann::json out = {
        {"netns", c.netns},
        {"state", std::string(tcp_state_name(s.state))},
        {"role", std::string(role_name(c.role))},
        {"local", endpoint_json(s.local)},
        {"peer", endpoint_json(s.peer)},
        {"inode", s.inode},
        {"cookie", std::to_string(s.cookie)},
        {"verdict", std::string(verdict_name(j.verdict))},
        {"reason", j.reason},
        {"idle_ms", j.idle_ms},
        {"deadline_ms", optional_ms(j.deadline_ms)},
        {"gives_up_after_ms", optional_ms(j.limit_ms)},
        {"gives_up_by", j.limit_ms ? nlohmann::json(j.limit_is_user_timeout ? "user-timeout" : "tcp-retries2") : nlohmann::json()},
        {"middlebox", c.hop ? hop_json(*c.hop) : nlohmann::json()},
        {"process", c.pid ? nlohmann::json({{"pid", c.pid}, {"fd", c.fd}, {"comm", c.comm}}) : nlohmann::json()},
        {"exact", c.exact ? options_json(*c.exact) : nlohmann::json()},
    };
    if (s.has_info)
        out["tcp_info"] = {{"last_data_recv_ms", s.info.last_data_recv_ms}, {"last_data_sent_ms", s.info.last_data_sent_ms},
                           {"last_ack_recv_ms", s.info.last_ack_recv_ms},   {"unacked", s.info.unacked},
                           {"retransmits", s.info.retransmits},             {"probes", s.info.probes},
                           {"total_retrans", s.info.total_retrans},
                           {"peer_probes_visible", s.info.peer_probe_ms.has_value()},
                           {"last_peer_probe_ms", s.info.peer_probe_ms && *s.info.peer_probe_ms != k_no_peer_probe
                                                      ? nlohmann::json(*s.info.peer_probe_ms)
                                                      : nlohmann::json()}};
    else
        out["tcp_info"] = nullptr;
    return out;
}

std::string health_text(const HealthReport& r) {
    std::string out;
    const bool several = r.netns.size() > 1;
    if (!r.path.empty()) {
        out += "path:";
        for (const auto& h : r.path) out += " " + hop_text(h) + ",";
        out.back() = '\n';
    }
    for (const auto& n : r.netns) {
        out += "netns " + n.label + ": ";
        if (!n.error.empty()) {
            out += "not read: " + n.error + "\n";
            continue;
        }
        out += counts_text(n.counts);
        if (n.conntrack) out += "; its conntrack is on every path (" + hop_text(*n.conntrack) + ")";
        if (n.orphans) out += "; " + std::to_string(n.orphans) + " closed by their owner and finishing (not counted)";
        out += "\n";
    }
    if (!r.connections.empty()) {
        out += "\n";
        Table t(several ? std::vector<std::string>{"NETNS", "VERDICT", "STATE", "ROLE", "LOCAL", "PEER", "IDLE", "PID", "COMM", "REASON"}
                        : std::vector<std::string>{"VERDICT", "STATE", "ROLE", "LOCAL", "PEER", "IDLE", "PID", "COMM", "REASON"});
        for (const auto& c : r.connections) {
            std::vector<std::string> row;
            if (several) row.push_back(c.netns);
            row.insert(row.end(), {std::string(verdict_name(c.judgement.verdict)), std::string(tcp_state_name(c.record.state)),
                                   std::string(role_name(c.role)), endpoint_string(c.record.local),
                                   endpoint_string(c.record.peer), format_duration_ms(c.judgement.idle_ms),
                                   c.pid ? std::to_string(c.pid) : "-", c.pid ? c.comm : "-", c.judgement.reason});
            t.add(std::move(row));
        }
        out += t.str();
    }
    const auto& totals = r.rollup.totals();
    if (totals.total() > 0 && totals.total() != totals[HealthVerdict::ok]) {
        if (r.owners_looked_up) {
            Table owners(group_header("OWNER"));
            group_rows(owners, r.rollup.owners(r.top));
            out += "\nby owner:\n" + owners.str();
        }
        Table dest(group_header("DESTINATION"));
        group_rows(dest, r.rollup.destinations(r.top));
        out += "\nby destination:\n" + dest.str();
        const auto closings = r.rollup.peer_closings();
        if (!closings.empty()) {
            out += "\nadvice:\n";
            for (const auto& p : closings) out += "- " + peer_closing_advice(p) + "\n";
        }
    }
    return out;
}

nlohmann::json health_json(const HealthReport& r) {
    nlohmann::json path = nlohmann::json::array(), netns = nlohmann::json::array(), conns = nlohmann::json::array();
    for (const auto& h : r.path) path.push_back(hop_json(h));
    for (const auto& n : r.netns) {
        nlohmann::json one{{"label", n.label},
                           {"inode", n.inode},
                           {"counts", counts_json(n.counts)},
                           {"conntrack", n.conntrack ? hop_json(*n.conntrack) : nlohmann::json()},
                           {"orphans", n.orphans},
                           {"error", n.error.empty() ? nlohmann::json() : nlohmann::json(n.error)}};
        add_identity_json(one, n.identity);
        netns.push_back(std::move(one));
    }
    for (const auto& c : r.connections) conns.push_back(connection_json(c));
    auto groups = [](const std::vector<HealthGroup>& gs, bool owners) {
        nlohmann::json list = nlohmann::json::array();
        for (const auto& g : gs) {
            nlohmann::json e = {{"label", g.label}, {"counts", counts_json(g.counts)}};
            if (owners) {
                e["pid"] = g.pid ? nlohmann::json(g.pid) : nlohmann::json();
                e["comm"] = g.pid ? nlohmann::json(g.comm) : nlohmann::json();
            }
            list.push_back(std::move(e));
        }
        return list;
    };
    nlohmann::json advice = nlohmann::json::array();
    for (const auto& p : r.rollup.peer_closings())
        advice.push_back({{"pid", p.pid ? nlohmann::json(p.pid) : nlohmann::json()},
                          {"comm", p.comm},
                          {"destination", p.destination},
                          {"connections", p.connections},
                          {"measured", p.measured},
                          {"idle_before_close_min_ms", p.measured ? nlohmann::json(p.idle_min_ms) : nlohmann::json()},
                          {"idle_before_close_max_ms", p.measured ? nlohmann::json(p.idle_max_ms) : nlohmann::json()},
                          {"text", peer_closing_advice(p)}});
    return {{"schema", "keepalive-tune.health.v1"},
            {"path", path},
            {"netns", netns},
            {"totals", counts_json(r.rollup.totals())},
            {"connections", conns},
            {"by_owner", r.owners_looked_up ? groups(r.rollup.owners(r.top), true) : nlohmann::json()},
            {"by_destination", groups(r.rollup.destinations(r.top), false)},
            {"advice", advice}};
}

std::string health_prometheus(const HealthReport& r) {
    std::string out;
    auto header = [&](const char* name, const char* help) {
        out += std::string("# HELP keepalive_tune_") + name + " " + help + "\n# TYPE keepalive_tune_" + name + " gauge\n";
    };
    header("connections", "Connected sockets by health verdict, per network namespace.");
    for (const auto& n : r.netns)
        for (const auto v : k_all)
            out += "keepalive_tune_connections{netns=\"" + prometheus_label(n.label) + "\",verdict=\"" +
                   std::string(verdict_name(v)) + "\"} " + std::to_string(n.counts[v]) + "\n";
    header("destination_connections",
           "Connected sockets by health verdict, per network namespace and destination (top N and other).");
    for (const auto& n : r.netns)
        for (const auto& g : n.destinations.destinations(r.top))
            for (const auto v : k_all)
                out += "keepalive_tune_destination_connections{netns=\"" + prometheus_label(n.label) +
                       "\",destination=\"" + prometheus_label(g.label) + "\",verdict=\"" +
                       std::string(verdict_name(v)) + "\"} " + std::to_string(g.counts[v]) + "\n";
    header("port_connections", "Accepted connections by TCP state, per listening port (top N by count, and other).");
    for (const auto& n : r.netns) {
        auto ports = n.ports;
        auto total = [](const std::array<std::uint64_t, 16>& a) {
            std::uint64_t t = 0;
            for (auto x : a) t += x;
            return t;
        };
        std::stable_sort(ports.begin(), ports.end(), [&](const auto& a, const auto& b) { return total(a.second) > total(b.second); });
        std::array<std::uint64_t, 16> other{};
        for (std::size_t i = 0; i < ports.size(); ++i) {
            const bool listed = i < r.top;
            for (std::size_t st = 0; st < 16; ++st) {
                if (!listed) {
                    other[st] += ports[i].second[st];
                    continue;
                }
                if (ports[i].second[st] == 0) continue;
                out += "keepalive_tune_port_connections{netns=\"" + prometheus_label(n.label) + "\",port=\"" +
                       std::to_string(ports[i].first) + "\",state=\"" + std::string(tcp_state_name(static_cast<std::uint8_t>(st))) +
                       "\"} " + std::to_string(ports[i].second[st]) + "\n";
            }
        }
        if (ports.size() > r.top)
            for (std::size_t st = 0; st < 16; ++st)
                if (other[st])
                    out += "keepalive_tune_port_connections{netns=\"" + prometheus_label(n.label) + "\",port=\"other\",state=\"" +
                           std::string(tcp_state_name(static_cast<std::uint8_t>(st))) + "\"} " + std::to_string(other[st]) + "\n";
    }
    return out;
}

}  // namespace kt::render
