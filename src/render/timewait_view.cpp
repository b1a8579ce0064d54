#include "render/timewait_view.hpp"

#include "core/socket/ip_text.hpp"
#include "core/text/number_text.hpp"
#include "render/netns_identity_view.hpp"
#include "render/table.hpp"

namespace kt::render {

namespace {
std::string pct(double share) { return fixed_text(share * 100, 1) + "%"; }

std::string local_text(const ClientDestination& d) { return d.local.is_unspecified() ? "*" : ip_string(d.local); }
}  // namespace

std::string timewait_text(const TimewaitReport& r, TimewaitGrouping by) {
    const auto& t = r.totals;
    std::string out = "netns " + r.netns + ": " + std::to_string(t.time_wait) + " TIME_WAIT";
    if (t.sockstat_tw) out += " (sockstat: " + std::to_string(*t.sockstat_tw) + ")";
    if (t.max_tw_buckets) {
        out += ", " + std::to_string(*t.max_tw_buckets) + " buckets";
        if (auto share = t.bucket_share()) out += " (" + pct(*share) + " used)";
    }
    out += "\n  TcpExt since boot:";
    for (const char* name : {"TW", "TWRecycled", "TWKilled", "TCPTimeWaitOverflow"}) {
        auto it = t.counters.find(name);
        out += std::string(" ") + name + " " + (it == t.counters.end() ? "-" : std::to_string(it->second));
    }
    out += "\n  tcp_tw_reuse " + (t.tw_reuse ? tw_reuse_meaning(*t.tw_reuse) : std::string("unknown"));
    if (t.port_range)
        out += "\n  ip_local_port_range " + std::to_string(t.port_range->lo) + "-" + std::to_string(t.port_range->hi) +
               " (" + std::to_string(t.port_range_size()) + " ports per destination); worst pressure " +
               pct(r.worst_port_pressure);
    out += "\n";
    const auto size = t.port_range_size();
    if (by != TimewaitGrouping::local_port) {
        out += "\nclosed by this host as a client (" + std::string(by == TimewaitGrouping::peer ? "by peer" : "by local -> peer") + "):\n";
        Table tab({"LOCAL", "PEER", "TIME_WAIT", "CLOSES/S", "PORTS-IN-USE", "PRESSURE"});
        auto row = [&](const ClientDestination& d, std::string local, std::string peer) {
            tab.add({std::move(local), std::move(peer), std::to_string(d.time_wait), fixed_text(d.close_rate(), 1),
                     std::to_string(d.ports_in_use), size ? pct(d.port_pressure(size)) : "-"});
        };
        for (const auto& d : r.clients.top) row(d, local_text(d), endpoint_string(d.peer));
        if (r.clients.rest) row(*r.clients.rest, "(other)", "(other)");
        out += r.clients.top.empty() ? "  none\n" : tab.str();
    }
    out += "\nclosed by this host as a server (by listening port):\n";
    Table servers({"PORT", "TIME_WAIT", "CLOSES/S"});
    for (const auto& s : r.servers.top) servers.add({std::to_string(s.port), std::to_string(s.time_wait), fixed_text(s.close_rate(), 1)});
    if (r.servers.rest) servers.add({"(other)", std::to_string(r.servers.rest->time_wait), fixed_text(r.servers.rest->close_rate(), 1)});
    out += r.servers.top.empty() ? "  none\n" : servers.str();
    if (!r.advice.empty()) {
        out += "\nadvice:\n";
        for (const auto& a : r.advice) out += "  - " + a.action + "\n    because " + a.evidence + "\n";
    }
    return out;
}

nlohmann::json timewait_json(const TimewaitReport& r) {
    const auto& t = r.totals;
    const auto size = t.port_range_size();
    auto opt = [](const auto& o) { return o ? nlohmann::json(*o) : nlohmann::json(); };
    auto client = [&](const ClientDestination& d, bool other) {
        return nlohmann::json{{"local", other ? nlohmann::json("other") : nlohmann::json(local_text(d))},
                              {"peer", other ? nlohmann::json("other") : nlohmann::json(endpoint_string(d.peer))},
                              {"time_wait", d.time_wait},
                              {"closes_per_second", d.close_rate()},
                              {"ports_in_use", d.ports_in_use},
                              {"port_pressure", d.port_pressure(size)}};
    };
    nlohmann::json clients = nlohmann::json::array(), servers = nlohmann::json::array(), advice = nlohmann::json::array();
    for (const auto& d : r.clients.top) clients.push_back(client(d, false));
    if (r.clients.rest) clients.push_back(client(*r.clients.rest, true));
    for (const auto& s : r.servers.top)
        servers.push_back({{"port", s.port}, {"time_wait", s.time_wait}, {"closes_per_second", s.close_rate()}});
    if (r.servers.rest)
        servers.push_back({{"port", "other"}, {"time_wait", r.servers.rest->time_wait}, {"closes_per_second", r.servers.rest->close_rate()}});
    for (const auto& a : r.advice) advice.push_back({{"action", a.action}, {"evidence", a.evidence}});
    nlohmann::json counters = nlohmann::json::object();
    for (const auto& [k, v] : t.counters) counters[k] = v;
    nlohmann::json out{{"netns", r.netns},
            {"time_wait", t.time_wait},
            {"sockstat_time_wait", opt(t.sockstat_tw)},
            {"max_tw_buckets", opt(t.max_tw_buckets)},
            {"bucket_share", opt(t.bucket_share())},
            {"tcp_tw_reuse", opt(t.tw_reuse)},
            {"local_port_range", t.port_range ? nlohmann::json({t.port_range->lo, t.port_range->hi}) : nlohmann::json()},
            {"tcp_ext", counters},
            {"worst_port_pressure", r.worst_port_pressure},
            {"clients", clients},
            {"servers", servers},
            {"advice", advice}};
    add_identity_json(out, r.identity);
    return out;
}

std::string prometheus_label(std::string_view value) {
    std::string out;
    for (char c : value) {
        if (c == '\\' || c == '"') out += '\\';
        if (c == '\n') {
            out += "\\n";
            continue;
        }
        out += c;
    }
    return out;
}

std::string timewait_prometheus(const std::vector<TimewaitReport>& reports) {
    std::string out;
    auto metric = [&](const char* name, const char* type, const char* help, auto each) {
        out += std::string("# HELP keepalive_tune_") + name + " " + help + "\n# TYPE keepalive_tune_" + name + " " + type + "\n";
        for (const auto& r : reports) each(r, std::string("keepalive_tune_") + name, "netns=\"" + prometheus_label(r.netns) + "\"");
    };
    auto line = [&](const std::string& name, const std::string& labels, double v) {
        out += name + "{" + labels + "} " + fixed_text(v, v == static_cast<double>(static_cast<long long>(v)) ? 0 : 6) + "\n";
    };
    metric("time_wait_sockets", "gauge", "TCP sockets in TIME_WAIT now.",
           [&](const TimewaitReport& r, const std::string& n, const std::string& l) { line(n, l, static_cast<double>(r.totals.time_wait)); });
    metric("time_wait_buckets", "gauge", "net.ipv4.tcp_max_tw_buckets.", [&](const TimewaitReport& r, const std::string& n, const std::string& l) {
        if (r.totals.max_tw_buckets) line(n, l, static_cast<double>(*r.totals.max_tw_buckets));
    });
    metric("local_port_range_size", "gauge", "Local ports per destination (net.ipv4.ip_local_port_range).",
           [&](const TimewaitReport& r, const std::string& n, const std::string& l) { line(n, l, r.totals.port_range_size()); });
    metric("port_pressure_worst_ratio", "gauge", "Highest share of the local port range in use toward one destination.",
           [&](const TimewaitReport& r, const std::string& n, const std::string& l) { line(n, l, r.worst_port_pressure); });
    metric("tcpext_total", "counter", "TcpExt TIME_WAIT counters since boot.", [&](const TimewaitReport& r, const std::string& n, const std::string& l) {
        for (const auto& [k, v] : r.totals.counters) line(n, l + ",counter=\"" + prometheus_label(k) + "\"", static_cast<double>(v));
    });
    auto dest_labels = [](const std::string& l, const ClientDestination& d, bool other) {
        return l + ",local=\"" + (other ? std::string("other") : prometheus_label(local_text(d))) + "\",peer=\"" +
               (other ? std::string("other") : prometheus_label(endpoint_string(d.peer))) + "\"";
    };
    metric("destination_time_wait_sockets", "gauge", "TIME_WAIT toward one destination closed by this host as a client (top N and other).",
           [&](const TimewaitReport& r, const std::string& n, const std::string& l) {
               for (const auto& d : r.clients.top) line(n, dest_labels(l, d, false), static_cast<double>(d.time_wait));
               if (r.clients.rest) line(n, dest_labels(l, *r.clients.rest, true), static_cast<double>(r.clients.rest->time_wait));
           });
    metric("destination_port_pressure_ratio", "gauge", "Share of the local port range in use toward one destination (top N and other).",
           [&](const TimewaitReport& r, const std::string& n, const std::string& l) {
               const auto size = r.totals.port_range_size();
               for (const auto& d : r.clients.top) line(n, dest_labels(l, d, false), d.port_pressure(size));
               if (r.clients.rest) line(n, dest_labels(l, *r.clients.rest, true), r.clients.rest->port_pressure(size));
           });
    metric("server_port_time_wait_sockets", "gauge", "TIME_WAIT on one listening port closed by this host as a server (top N and other).",
           [&](const TimewaitReport& r, const std::string& n, const std::string& l) {
               for (const auto& s : r.servers.top) line(n, l + ",port=\"" + std::to_string(s.port) + "\"", static_cast<double>(s.time_wait));
               if (r.servers.rest) line(n, l + ",port=\"other\"", static_cast<double>(r.servers.rest->time_wait));
           });
    return out;
}

}  // namespace kt::render
