#include "render/check_view.hpp"

#include <cstdio>

#include "render/health_view.hpp"
#include "render/timewait_view.hpp"

namespace kt::render {

namespace {
// Shortest plain decimal (no exponent) with at most three decimals.
std::string plain(double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.3f", v);
    std::string s = buf;
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
    return s == "-0" ? "0" : s;
}

// Nagios reads '|' as the start of perfdata and a newline as the end of the first line.
std::string one_line(std::string text) {
    for (char& c : text)
        if (c == '|' || c == '\n') c = c == '|' ? '/' : ' ';
    return text;
}

std::string perfdata(const std::vector<PerfDatum>& data) {
    std::string out;
    auto opt = [](const std::optional<double>& v) { return v ? plain(*v) : std::string(); };
    for (const auto& d : data) {
        if (!out.empty()) out += ' ';
        out += d.label + "=" + plain(d.value) + d.uom + ";" + opt(d.limits.warn) + ";" + opt(d.limits.crit) + ";" +
               opt(d.min) + ";" + opt(d.max);
    }
    return out;
}

nlohmann::json limits_json(const Limits& l) {
    auto opt = [](const std::optional<double>& v) { return v ? nlohmann::json(*v) : nlohmann::json(); };
    return {{"warn", opt(l.warn)}, {"crit", opt(l.crit)}};
}
}  // namespace

std::string check_nagios(const CheckResult& r) {
    std::string text;
    for (const auto& f : r.findings) text += (text.empty() ? "" : "; ") + f.text;
    if (text.empty()) text = r.summary;
    return "KEEPALIVE-TUNE " + std::string(status_name(r.status)) + " - " + one_line(text) + " | " + perfdata(r.perfdata) + "\n";
}

std::string check_nagios_unknown(const std::string& why) { return "KEEPALIVE-TUNE UNKNOWN - " + one_line(why) + "\n"; }

namespace {
nlohmann::json end_counts_json(const EndCountsReport& r) {
    nlohmann::json netns = nlohmann::json::array(), destinations = nlohmann::json::array();
    for (const auto& n : r.netns) {
        nlohmann::json by_reason = nlohmann::json::object();
        for (std::size_t i = 0; i < k_end_reason_count; ++i)
            by_reason[std::string(end_reason_name(static_cast<EndReason>(i)))] = n.by_reason[i];
        netns.push_back({{"netns", n.label}, {"by_reason", by_reason}});
    }
    for (const auto& d : r.destinations)
        destinations.push_back({{"netns", d.netns}, {"reason", end_reason_name(d.reason)}, {"destination", d.destination},
                                {"count", d.count}});
    return {{"netns", netns}, {"destinations", destinations}};
}

nlohmann::json enforced_json(const std::vector<EnforcedState>& list) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& e : list) out.push_back({{"cgroup", e.cgroup}, {"profile", e.profile}, {"cgroup_exists", e.cgroup_exists}});
    return out;
}

}  // namespace

nlohmann::json check_json(const CheckResult& r, const CheckInput& in, const CheckThresholds& t,
                          const std::vector<std::string>& baselines) {
    nlohmann::json findings = nlohmann::json::array(), netns = nlohmann::json::array();
    for (const auto& f : r.findings) findings.push_back({{"status", status_name(f.status)}, {"text", f.text}});
    for (std::size_t i = 0; i < in.reports.size(); ++i) {
        auto n = timewait_json(in.reports[i]);
        nlohmann::json delta;  // null until there is a baseline
        if (i < in.deltas.size() && in.deltas[i]) {
            delta = {{"seconds", in.deltas[i]->seconds}, {"tcp_ext", in.deltas[i]->counters}};
        }
        n["delta"] = delta;
        n["baseline"] = i < baselines.size() && !baselines[i].empty() ? nlohmann::json(baselines[i]) : nlohmann::json();
        netns.push_back(std::move(n));
    }
    nlohmann::json compliance;
    if (in.compliance)
        compliance = {{"profile", in.compliance->profile},
                      {"compliant", in.compliance->compliant},
                      {"drift", in.compliance->drift},
                      {"gone", in.compliance->gone},
                      {"engine", in.compliance->engine}};
    return {{"schema", "keepalive-tune.check.v1"},
            {"status", status_name(r.status)},
            {"exit_code", static_cast<int>(r.status)},
            {"summary", r.summary},
            {"findings", findings},
            {"thresholds", {{"timewait", limits_json(t.time_wait)}, {"ports_percent", limits_json(t.ports)},
                            {"buckets_percent", limits_json(t.buckets)}, {"dropped", limits_json(t.dropped)},
                            {"peer_closed", limits_json(t.peer_closed)}, {"retransmitting", limits_json(t.retransmitting)}}},
            {"netns", netns},
            {"health", in.health ? health_json(*in.health) : nlohmann::json()},
            {"compliance", compliance},
            {"enforced", enforced_json(in.enforced)},
            {"connection_ends", in.connection_ends ? end_counts_json(*in.connection_ends) : nlohmann::json()}};
}

nlohmann::json check_json_unknown(const std::string& why) {
    return {{"schema", "keepalive-tune.check.v1"}, {"status", "UNKNOWN"}, {"exit_code", 3}, {"summary", why},
            {"findings", nlohmann::json::array({{{"status", "UNKNOWN"}, {"text", why}}})}};
}

namespace {
std::string status_series(int status, std::int64_t now) {
    return "# HELP keepalive_tune_check_status Result of the last check: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.\n"
           "# TYPE keepalive_tune_check_status gauge\n"
           "keepalive_tune_check_status " + std::to_string(status) + "\n"
           "# HELP keepalive_tune_check_timestamp_seconds When the last check ran (unix time).\n"
           "# TYPE keepalive_tune_check_timestamp_seconds gauge\n"
           "keepalive_tune_check_timestamp_seconds " + std::to_string(now) + "\n";
}
}  // namespace

std::string check_prometheus(const CheckResult& r, const CheckInput& in, std::int64_t now) {
    std::string out = timewait_prometheus(in.reports) + status_series(static_cast<int>(r.status), now);
    if (in.health) out += health_prometheus(*in.health);
    bool any_delta = false;
    for (const auto& d : in.deltas) any_delta = any_delta || d.has_value();
    if (any_delta) {
        std::string interval, counters;
        for (std::size_t i = 0; i < in.reports.size() && i < in.deltas.size(); ++i) {
            if (!in.deltas[i]) continue;
            const std::string ns = "netns=\"" + prometheus_label(in.reports[i].netns) + "\"";
            interval += "keepalive_tune_check_interval_seconds{" + ns + "} " + plain(in.deltas[i]->seconds) + "\n";
            for (const auto& [name, value] : in.deltas[i]->counters)
                counters += "keepalive_tune_tcpext_delta{" + ns + ",counter=\"" + prometheus_label(name) + "\"} " +
                            std::to_string(value) + "\n";
        }
        out += "# HELP keepalive_tune_check_interval_seconds Seconds between this check and the previous one.\n"
               "# TYPE keepalive_tune_check_interval_seconds gauge\n" + interval +
               "# HELP keepalive_tune_tcpext_delta Growth of TcpExt TIME_WAIT counters since the previous check.\n"
               "# TYPE keepalive_tune_tcpext_delta gauge\n" + counters;
    }
    if (in.compliance) {
        const auto& c = *in.compliance;
        const std::string p = "profile=\"" + prometheus_label(c.profile) + "\"";
        out += "# HELP keepalive_tune_profile_sockets Target sockets by keepalive compliance with the profile.\n"
               "# TYPE keepalive_tune_profile_sockets gauge\n"
               "keepalive_tune_profile_sockets{" + p + ",state=\"compliant\"} " + std::to_string(c.compliant) + "\n"
               "keepalive_tune_profile_sockets{" + p + ",state=\"drift\"} " + std::to_string(c.drift) + "\n"
               "keepalive_tune_profile_sockets{" + p + ",state=\"gone\"} " + std::to_string(c.gone) + "\n";
    }
    std::size_t orphaned = 0;
    for (const auto& e : in.enforced) orphaned += !e.cgroup_exists;
    out += "# HELP keepalive_tune_enforced_cgroups Cgroups with a profile pinned by enforce, by whether the cgroup still "
           "exists.\n"
           "# TYPE keepalive_tune_enforced_cgroups gauge\n"
           "keepalive_tune_enforced_cgroups{state=\"active\"} " + std::to_string(in.enforced.size() - orphaned) + "\n"
           "keepalive_tune_enforced_cgroups{state=\"orphaned\"} " + std::to_string(orphaned) + "\n";
    if (in.connection_ends) out += end_counts_prometheus(*in.connection_ends);
    return out;
}

std::string end_counts_prometheus(const EndCountsReport& r) {
    std::string out =
        "# HELP keepalive_tune_connection_ends_total TCP connections ended since the counters were installed (trace "
        "--install-counters), by reason.\n"
        "# TYPE keepalive_tune_connection_ends_total counter\n";
    for (const auto& n : r.netns)
        for (std::size_t i = 0; i < k_end_reason_count; ++i)
            out += "keepalive_tune_connection_ends_total{netns=\"" + prometheus_label(n.label) + "\",reason=\"" +
                   std::string(end_reason_name(static_cast<EndReason>(i))) + "\"} " + std::to_string(n.by_reason[i]) + "\n";
    out += "# HELP keepalive_tune_connection_ends_by_destination_total Abnormal TCP connection ends toward the "
           "destinations that had the most, by reason.\n"
           "# TYPE keepalive_tune_connection_ends_by_destination_total counter\n";
    for (const auto& d : r.destinations)
        out += "keepalive_tune_connection_ends_by_destination_total{netns=\"" + prometheus_label(d.netns) +
               "\",reason=\"" + std::string(end_reason_name(d.reason)) + "\",destination=\"" +
               prometheus_label(d.destination) + "\"} " + std::to_string(d.count) + "\n";
    return out;
}

std::string check_prometheus_unknown(std::int64_t now) { return status_series(3, now); }

}  // namespace kt::render
