#include "core/timewait/check_policy.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "core/text/json_document.hpp"
#include "core/text/nearest.hpp"
#include "core/text/number_text.hpp"

namespace kt {

std::string_view status_name(CheckStatus s) {
    switch (s) {
        case CheckStatus::ok: return "OK";
        case CheckStatus::warning: return "WARNING";
        case CheckStatus::critical: return "CRITICAL";
        case CheckStatus::unknown: return "UNKNOWN";
    }
    return "UNKNOWN";
}

namespace {
std::optional<double>* threshold_slot(CheckThresholds& t, std::string_view name) {
    if (name == "timewait-warn") return &t.time_wait.warn;
    if (name == "timewait-crit") return &t.time_wait.crit;
    if (name == "ports-warn") return &t.ports.warn;
    if (name == "ports-crit") return &t.ports.crit;
    if (name == "buckets-warn") return &t.buckets.warn;
    if (name == "buckets-crit") return &t.buckets.crit;
    if (name == "dropped-warn") return &t.dropped.warn;
    if (name == "dropped-crit") return &t.dropped.crit;
    if (name == "peer-closed-warn") return &t.peer_closed.warn;
    if (name == "peer-closed-crit") return &t.peer_closed.crit;
    if (name == "retransmitting-warn") return &t.retransmitting.warn;
    if (name == "retransmitting-crit") return &t.retransmitting.crit;
    return nullptr;
}


std::string shortest(double v) {
    char buf[48];
    std::snprintf(buf, sizeof buf, "%g", v);
    return buf;
}

// Percentages read best with one decimal below 10% and none above.
std::string percent(double p) { return fixed_text(p, p < 10 ? 1 : 0) + "%"; }

void check_limits(const Limits& l, std::string_view name, double max, Errors& out) {
    const std::string n(name);
    bool in_range = true;
    for (auto [v, suffix] : {std::pair{l.warn, "-warn"}, std::pair{l.crit, "-crit"}}) {
        if (!v) continue;
        // Written so that NaN fails too: it compares false with everything.
        if (!(*v >= 0 && *v <= max)) {
            out.push_back({n + suffix, shortest(*v) + " is out of range 0.." + fixed_text(max, 0)});
            in_range = false;
        }
    }
    // An out-of-range value is reported once, not again as above or below its partner.
    if (in_range && l.warn && l.crit && *l.warn > *l.crit)
        out.push_back({n + "-warn", shortest(*l.warn) + " is above " + n + "-crit " + shortest(*l.crit) +
                                        ": a warning must come before the critical state"});
}

// Nagios plugin guidelines: a threshold N alerts when the value is outside 0..N, i.e. above N.
CheckStatus judge(double value, const Limits& l) {
    if (l.crit && value > *l.crit) return CheckStatus::critical;
    if (l.warn && value > *l.warn) return CheckStatus::warning;
    return CheckStatus::ok;
}

std::string limit_text(CheckStatus s, const Limits& l, bool as_percent) {
    const double v = s == CheckStatus::critical ? *l.crit : *l.warn;
    return std::string(s == CheckStatus::critical ? " (crit " : " (warn ") + (as_percent ? percent(v) : fixed_text(v, 0)) + ")";
}

}  // namespace

void set_threshold(CheckThresholds& t, std::string_view name, std::optional<double> value) {
    if (auto* slot = threshold_slot(t, name)) *slot = value;
}

Errors validate_thresholds(const CheckThresholds& t) {
    Errors out;
    check_limits(t.time_wait, "timewait", static_cast<double>(k_max_timewait_threshold), out);
    check_limits(t.ports, "ports", 100, out);
    check_limits(t.buckets, "buckets", 100, out);
    check_limits(t.dropped, "dropped", static_cast<double>(k_max_timewait_threshold), out);
    check_limits(t.peer_closed, "peer-closed", static_cast<double>(k_max_timewait_threshold), out);
    check_limits(t.retransmitting, "retransmitting", static_cast<double>(k_max_timewait_threshold), out);
    return out;
}

std::expected<CheckThresholds, Errors> parse_check_config(std::string_view text, std::string_view source,
                                                          CheckThresholds base) {
    auto doc = parse_json_document(text, source);
    if (!doc) return std::unexpected(Errors{doc.error()});
    const std::string src(source);
    if (!doc->is_object()) return std::unexpected(Errors{{src + ": /", std::string("expected an object, got ") + doc->type_name()}});
    Errors problems;
    for (const auto& [key, value] : doc->items()) {
        const std::string where = src + ": " + json_path("", key);
        if (!threshold_slot(base, key)) {
            problems.push_back({where, "unknown key" + did_you_mean(key, k_threshold_names)});
            continue;
        }
        if (value.is_null()) {
            set_threshold(base, key, std::nullopt);
        } else if (value.is_number()) {
            const double v = value.get<double>();
            // Counts of sockets: 1.5 sockets would be reported as 2.
            if (threshold_is_count(key) && std::floor(v) != v) {
                problems.push_back({where, "expected a whole number of sockets, got " + value.dump()});
                continue;
            }
            set_threshold(base, key, v);
        } else {
            problems.push_back({where, std::string("expected a number or null, got ") + value.type_name() + " " + value.dump()});
        }
    }
    for (auto& e : validate_thresholds(base)) problems.push_back({src + ": /" + e.what, e.why});
    if (!problems.empty()) return std::unexpected(problems);
    return base;
}

CheckResult evaluate_check(const CheckInput& in, const CheckThresholds& t) {
    CheckResult r;
    const bool several = in.reports.size() > 1;
    // Findings about one netns name it when there are several; compliance spans them all.
    auto add = [&](CheckStatus s, std::string_view netns, std::string text) {
        if (s == CheckStatus::ok) return;
        const bool named = several && !netns.empty();
        r.findings.push_back({s, (named ? "netns " + std::string(netns) + ": " : std::string()) + std::move(text)});
    };

    double max_tw = 0, max_ports = 0, max_buckets = 0, overflow = 0, tw_new_per_s = 0;
    bool have_buckets = false, have_delta = false;
    std::string summary;
    for (std::size_t i = 0; i < in.reports.size(); ++i) {
        const auto& rep = in.reports[i];
        const double tw = static_cast<double>(rep.totals.time_wait);
        const double ports = rep.worst_port_pressure * 100;
        max_tw = std::max(max_tw, tw);
        max_ports = std::max(max_ports, ports);

        auto s = judge(tw, t.time_wait);
        if (s != CheckStatus::ok) add(s, rep.netns, fixed_text(tw, 0) + " TIME_WAIT" + limit_text(s, t.time_wait, false));
        s = judge(ports, t.ports);
        if (s != CheckStatus::ok && rep.worst_destination)
            add(s, rep.netns, "port pressure " + percent(ports) + " toward " + destination_string(*rep.worst_destination) + " (" +
                                  std::to_string(rep.worst_destination->ports_in_use) + " of " +
                                  std::to_string(rep.totals.port_range_size()) + " local ports)" + limit_text(s, t.ports, true));
        if (const auto share = rep.totals.bucket_share()) {
            const double b = *share * 100;
            have_buckets = true;
            max_buckets = std::max(max_buckets, b);
            s = judge(b, t.buckets);
            if (s != CheckStatus::ok)
                add(s, rep.netns, "TIME_WAIT at " + percent(b) + " of tcp_max_tw_buckets " +
                                      std::to_string(*rep.totals.max_tw_buckets) + limit_text(s, t.buckets, true));
        }
        if (i < in.deltas.size() && in.deltas[i]) {
            const auto& d = *in.deltas[i];
            have_delta = true;
            if (auto it = d.counters.find("TCPTimeWaitOverflow"); it != d.counters.end()) {
                overflow += static_cast<double>(it->second);
                if (it->second > 0)
                    add(CheckStatus::warning, rep.netns,
                        "TIME_WAIT table overflowed " + std::to_string(it->second) + " times in the last " + fixed_text(d.seconds, 0) +
                            " s (TcpExt TCPTimeWaitOverflow): raise net.ipv4.tcp_max_tw_buckets or reduce churn");
            }
            // TcpExt TW counts sockets entering TIME_WAIT: its rate is the active-close rate.
            if (auto it = d.counters.find("TW"); it != d.counters.end() && d.seconds > 0)
                tw_new_per_s = std::max(tw_new_per_s, static_cast<double>(it->second) / d.seconds);
        }
        if (!summary.empty()) summary += "; ";
        summary += (several ? "netns " + rep.netns + ": " : std::string()) + fixed_text(tw, 0) + " TIME_WAIT";
        if (rep.worst_destination)
            summary += ", worst port pressure " + percent(ports) + " toward " + destination_string(*rep.worst_destination);
        else
            summary += ", no client-side TIME_WAIT";
    }
    double max_dropped = 0, max_closed = 0, max_retrans = 0;
    if (in.health) {
        const bool several_health = in.health->netns.size() > 1;
        for (const auto& n : in.health->netns) {
            const std::string_view ns = several_health ? std::string_view(n.label) : std::string_view();
            const struct {
                HealthVerdict verdict;
                const Limits& limits;
                const char* what;
                double& max;
            } judged[] = {{HealthVerdict::likely_dropped, t.dropped, "likely dropped by a middlebox", max_dropped},
                          {HealthVerdict::peer_closed, t.peer_closed, "closed by the peer and still held (CLOSE_WAIT)", max_closed},
                          {HealthVerdict::retransmitting, t.retransmitting, "retransmitting to a peer that does not answer",
                           max_retrans}};
            for (const auto& j : judged) {
                const double count = static_cast<double>(n.counts[j.verdict]);
                j.max = std::max(j.max, count);
                const auto s = judge(count, j.limits);
                if (s != CheckStatus::ok)
                    r.findings.push_back({s, (ns.empty() ? std::string() : "netns " + std::string(ns) + ": ") +
                                                 fixed_text(count, 0) + " connection(s) " + j.what +
                                                 limit_text(s, j.limits, false)});
            }
        }
        const auto& totals = in.health->rollup.totals();
        summary += "; " + std::to_string(totals.total()) + " connection(s), " +
                   std::to_string(totals.total() - totals[HealthVerdict::ok]) + " not ok";
    }
    if (in.compliance) {
        const auto& c = *in.compliance;
        if (c.drift > 0)
            add(CheckStatus::warning, "", "keepalive drift: " + std::to_string(c.drift) + " of " +
                                             std::to_string(c.drift + c.compliant) + " socket(s) differ from profile " + c.profile);
        summary += "; " + std::to_string(c.compliant) + " socket(s) carry profile " + c.profile;
    }
    std::size_t orphaned = 0;
    for (const auto& e : in.enforced) {
        if (e.cgroup_exists) continue;
        ++orphaned;
        add(CheckStatus::warning, "",
            "enforce: profile " + e.profile + " is pinned for " + e.cgroup +
                ", which no longer exists (a restarted unit gets a new cgroup): enforce it again, or enforce --remove");
    }
    if (!in.enforced.empty())
        summary += "; " + std::to_string(in.enforced.size() - orphaned) + " cgroup(s) enforced";
    std::stable_sort(r.findings.begin(), r.findings.end(),
                     [](const Finding& a, const Finding& b) { return a.status > b.status; });
    r.status = r.findings.empty() ? CheckStatus::ok : r.findings.front().status;
    r.summary = summary;

    r.perfdata.push_back({"time_wait", max_tw, "", t.time_wait, 0.0, std::nullopt});
    r.perfdata.push_back({"port_pressure", max_ports, "%", t.ports, 0.0, 100.0});
    if (have_buckets)
        r.perfdata.push_back({"tw_buckets", max_buckets, "%", t.buckets, 0.0, 100.0});
    if (have_delta) {
        r.perfdata.push_back({"tw_overflow", overflow, "", {}, 0.0, std::nullopt});
        r.perfdata.push_back({"tw_per_s", tw_new_per_s, "", {}, 0.0, std::nullopt});
    }
    if (in.health) {
        r.perfdata.push_back({"dropped", max_dropped, "", t.dropped, 0.0, std::nullopt});
        r.perfdata.push_back({"peer_closed", max_closed, "", t.peer_closed, 0.0, std::nullopt});
        r.perfdata.push_back({"retransmitting", max_retrans, "", t.retransmitting, 0.0, std::nullopt});
    }
    if (in.compliance) {
        r.perfdata.push_back({"keepalive_compliant", static_cast<double>(in.compliance->compliant), "", {}, 0.0, std::nullopt});
        r.perfdata.push_back({"keepalive_drift", static_cast<double>(in.compliance->drift), "", {}, 0.0, std::nullopt});
    }
    if (!in.enforced.empty()) {
        r.perfdata.push_back({"enforced", static_cast<double>(in.enforced.size() - orphaned), "", {}, 0.0, std::nullopt});
        r.perfdata.push_back({"enforced_orphaned", static_cast<double>(orphaned), "", {}, 0.0, std::nullopt});
    }
    return r;
}

}  // namespace kt
