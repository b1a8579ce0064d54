// The audit of an HAProxy configuration (PROXY-CONFIGS.md §2, rules A8-A13).
#include <map>

#include "core/audit/audit.hpp"
#include "core/profile/profile.hpp"
#include "core/text/duration.hpp"

namespace kt {

namespace {

struct Value {
    std::string text;
    SourcePosition at;
};

// A proxy's settings after its defaults section: keyword -> value, and the keepalive flags
// as the lines set and cleared them in order ("ka.cli", "ka.srv": "on" or "off").
using Settings = std::map<std::string, Value>;

const std::vector<std::string> k_tracked = {
    "clitcpka-idle",  "clitcpka-intvl",  "clitcpka-cnt",         "srvtcpka-idle",        "srvtcpka-intvl",
    "srvtcpka-cnt",   "timeout client",  "timeout server",       "timeout tunnel",       "timeout http-keep-alive",
    "timeout http-request", "http-reuse", "mode"};

// "timeout connect", "client", "server" for contimeout, clitimeout, srvtimeout; else null.
const char* legacy_timeout(std::string_view keyword) {
    if (keyword == "contimeout") return "connect";
    if (keyword == "clitimeout") return "client";
    if (keyword == "srvtimeout") return "server";
    return nullptr;
}

void apply_line(Settings& s, const HaproxyLine& l) {
    const auto& w = l.words;
    const bool negated = w[0] == "no";
    const std::size_t o = negated ? 1 : 0;
    if (w.size() >= o + 2 && w[o] == "option") {
        const auto& opt = w[o + 1];
        const Value v{negated ? "off" : "on", l.at};
        if (opt == "tcpka") s["ka.cli"] = s["ka.srv"] = v;
        if (opt == "clitcpka") s["ka.cli"] = v;
        if (opt == "srvtcpka") s["ka.srv"] = v;
        return;
    }
    if (negated) return;
    if (w[0] == "timeout" && w.size() >= 3) {
        s["timeout " + w[1]] = {w[2], l.at};
        return;
    }
    // The spellings before HAProxy 2.1 (which refuses them), read for what they meant.
    if (const auto* modern = legacy_timeout(w[0]); modern && w.size() >= 2) {
        s[std::string("timeout ") + modern] = {w[1], l.at};
        return;
    }
    for (const auto& k : k_tracked)
        if (w[0] == k && w.size() >= 2) s[k] = {w[1], l.at};
}

// HAProxy time (parse_time_err) in ms, rounded up: a number and an optional unit us, ms, s, m,
// h, d; a bare number is in `default_unit_us`. Nothing for what HAProxy refuses.
std::optional<std::uint64_t> time_ms(std::string_view text, std::uint64_t default_unit_us) {
    std::uint64_t n = 0;
    std::size_t i = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
        n = n * 10 + static_cast<std::uint64_t>(text[i] - '0');
        if (n > 4000000000ULL) return std::nullopt;
        ++i;
    }
    if (i == 0) return std::nullopt;
    const auto unit = text.substr(i);
    std::uint64_t us = default_unit_us;
    if (unit == "us") us = 1;
    else if (unit == "ms") us = 1000;
    else if (unit == "s") us = 1000000;
    else if (unit == "m") us = 60000000;
    else if (unit == "h") us = 3600000000ULL;
    else if (unit == "d") us = 86400000000ULL;
    else if (!unit.empty()) return std::nullopt;
    if (n > (UINT64_MAX - 999) / us) return std::nullopt;
    return (n * us + 999) / 1000;
}

std::optional<std::uint64_t> seconds_value(const Settings& s, const std::string& key) {
    const auto it = s.find(key);
    if (it == s.end()) return std::nullopt;
    const auto ms = time_ms(it->second.text, 1000000);
    if (!ms) return std::nullopt;
    return (*ms + 999) / 1000;
}

std::optional<std::uint64_t> timeout_ms(const Settings& s, const std::string& key) {
    const auto it = s.find(key);
    if (it == s.end()) return std::nullopt;
    return time_ms(it->second.text, 1000);
}

std::optional<std::uint64_t> count_value(const Settings& s, const std::string& key) {
    const auto it = s.find(key);
    if (it == s.end()) return std::nullopt;
    std::uint64_t n = 0;
    for (char c : it->second.text) {
        if (c < '0' || c > '9') return std::nullopt;
        n = n * 10 + static_cast<std::uint64_t>(c - '0');
        if (n > 4000000000ULL) return std::nullopt;
    }
    return n;
}

bool is_on(const Settings& s, const std::string& key) {
    const auto it = s.find(key);
    return it != s.end() && it->second.text == "on";
}

struct HaproxyAudit {
    const AuditContext& context;
    AuditReport report;

    void add(std::string rule, Severity sev, const SourcePosition& at, std::string evidence, std::string fix) {
        report.findings.push_back({std::move(rule), sev, at, std::move(evidence), "haproxy", std::move(fix)});
    }

    EffectiveKeepalive side_keepalive(const Settings& s, const std::string& prefix) {
        EffectiveKeepalive k;
        k.source = "off";
        if (!is_on(s, prefix == "clitcpka" ? "ka.cli" : "ka.srv")) return k;
        const auto& ns = context.netns;
        const auto idle = seconds_value(s, prefix + "-idle");
        const auto intvl = seconds_value(s, prefix + "-intvl");
        const auto cnt = count_value(s, prefix + "-cnt");
        k.enabled = true;
        k.idle_seconds = static_cast<std::uint32_t>(std::min<std::uint64_t>(idle.value_or(ns.idle_seconds), UINT32_MAX));
        k.interval_seconds =
            static_cast<std::uint32_t>(std::min<std::uint64_t>(intvl.value_or(ns.interval_seconds), UINT32_MAX));
        k.count = static_cast<std::uint32_t>(std::min<std::uint64_t>(cnt.value_or(ns.count), UINT32_MAX));
        const int own = int{idle.has_value()} + int{intvl.has_value()} + int{cnt.has_value()};
        k.source = own == 3 ? "explicit" : own == 0 ? "netns, " + ns.source : "explicit + netns";
        return k;
    }

    // A10, A12, A13 on one side of a proxy.
    void check_side(const HaproxySection& p, const Settings& s, const std::string& prefix, const EffectiveKeepalive& k) {
        const bool client = prefix == "clitcpka";
        const std::string option = "option " + prefix;
        const Value* first = nullptr;
        for (const auto* suffix : {"-idle", "-intvl", "-cnt"})
            if (auto it = s.find(prefix + suffix); it != s.end() && (!first || it->second.at.line < first->at.line))
                first = &it->second;
        if (first && !k.enabled)
            add("A10", Severity::high, first->at,
                p.kind + " " + p.name + " sets " + prefix + "-* but has neither " + option +
                    " nor option tcpka, so HAProxy never turns SO_KEEPALIVE on and the values do nothing",
                "# in " + p.kind + " " + p.name + " (or its defaults section)\n" + option + "\n");
        for (const auto* suffix : {"-idle", "-intvl"}) {
            const auto v = seconds_value(s, prefix + suffix);
            if (v && (*v > k_keepalive_seconds_max || *v == 0))
                add("A12", Severity::medium, s.at(prefix + suffix).at,
                    prefix + suffix + " " + s.at(prefix + suffix).text + " is outside the kernel's 1-32767 s: "
                        "setsockopt fails and HAProxy ignores the error, so the netns value applies",
                    prefix + suffix + " " + (std::string(suffix) == "-idle" ? "60s" : "10s") + "\n");
        }
        if (const auto c = count_value(s, prefix + "-cnt"); c && (*c > k_keepalive_count_max || *c == 0))
            add("A12", Severity::medium, s.at(prefix + "-cnt").at,
                prefix + "-cnt " + s.at(prefix + "-cnt").text +
                    " is outside the kernel's 1-127: setsockopt fails and HAProxy ignores the error",
                prefix + "-cnt 6\n");

        const std::string timeout = client ? "timeout client" : "timeout server";
        const auto t = timeout_ms(s, timeout);
        if (s.find(timeout) == s.end()) {
            add("A13", Severity::medium, p.at,
                p.kind + " " + p.name + " has no " + timeout +
                    ": idle connections are never closed by HAProxy (it warns at startup), so only keepalive or a "
                    "middlebox ends them",
                "# in " + p.kind + " " + p.name + " (or its defaults section)\n" + timeout + " 1m\n");
        } else if (t && k.enabled && *t < std::uint64_t{k.idle_seconds} * 1000) {
            add("A13", Severity::medium, s.at(timeout).at,
                p.kind + " " + p.name + ": " + timeout + " " + s.at(timeout).text + " is shorter than the " +
                    std::to_string(k.idle_seconds) + " s keepalive idle (" + k.source +
                    "): HAProxy closes an idle connection before the first probe",
                "# in " + p.kind + " " + p.name + "\n" + prefix + "-idle " + std::to_string(std::max<std::uint64_t>(*t / 2000, 1)) + "s\n");
        }
        if (const auto tunnel = timeout_ms(s, "timeout tunnel");
            tunnel && k.enabled && *tunnel < std::uint64_t{k.idle_seconds} * 1000)
            add("A13", Severity::medium, s.at("timeout tunnel").at,
                p.kind + " " + p.name + ": timeout tunnel " + s.at("timeout tunnel").text +
                    " is shorter than the " + std::to_string(k.idle_seconds) +
                    " s keepalive idle: idle tunnels (WebSocket, CONNECT) close before the first probe",
                "# in " + p.kind + " " + p.name + "\n" + prefix + "-idle " + std::to_string(std::max<std::uint64_t>(*tunnel / 2000, 1)) + "s\n");
    }

    // A11: keywords in a section without the capability, and option tcpka covering one side.
    void check_placement(const HaproxySection& p) {
        for (const auto& l : p.lines) {
            const auto& w0 = l.words[0];
            if (p.kind == "backend" && w0.rfind("clitcpka-", 0) == 0)
                add("A11", Severity::medium, l.at,
                    w0 + " in backend " + p.name +
                        " is ignored with a warning: a backend has no frontend capability (clitcpka-* belongs in a "
                        "frontend, listen or defaults section)",
                    "# in the frontend that uses backend " + p.name + "\noption clitcpka\n" + w0 + " " +
                        (l.words.size() > 1 ? l.words[1] : "60s") + "\n");
            if (p.kind == "frontend" && w0.rfind("srvtcpka-", 0) == 0)
                add("A11", Severity::medium, l.at,
                    w0 + " in frontend " + p.name +
                        " is ignored with a warning: a frontend has no backend capability (srvtcpka-* belongs in a "
                        "backend, listen or defaults section)",
                    "# in the backends frontend " + p.name + " uses\noption srvtcpka\n" + w0 + " " +
                        (l.words.size() > 1 ? l.words[1] : "60s") + "\n");
            if ((p.kind == "frontend" || p.kind == "backend") && l.words.size() == 2 && w0 == "option" &&
                l.words[1] == "tcpka")
                add("A11", Severity::medium, l.at,
                    "option tcpka in " + p.kind + " " + p.name + " only covers the " +
                        (p.kind == "frontend" ? "client" : "server") + " side; the " +
                        (p.kind == "frontend" ? "server side needs option srvtcpka in the backend"
                                              : "client side needs option clitcpka in the frontend"),
                    p.kind == "frontend" ? "option clitcpka\n# and in the backend:\noption srvtcpka\n"
                                         : "option srvtcpka\n# and in the frontend:\noption clitcpka\n");
        }
    }

    void check_downstream_path(const AuditedObject& o, const Settings& s) {
        if (context.path.empty()) return;
        const bool http = s.count("mode") && s.at("mode").text == "http";
        std::optional<std::uint64_t> idle;
        std::string setting;
        for (const std::string key : {"timeout http-keep-alive", "timeout http-request", "timeout client"}) {
            if (!http && key != "timeout client") continue;
            if (auto v = timeout_ms(s, key)) {
                idle = v;
                setting = key;
                break;
            }
        }
        if (setting.empty()) setting = "timeout client";
        const auto k = audit_detail::recommended_keepalive(context.path);
        const std::string tcp_fix = "option clitcpka\nclitcpka-idle " + std::to_string(k.idle_seconds) +
                                    "s\nclitcpka-intvl " + std::to_string(k.interval_seconds) + "s\nclitcpka-cnt " +
                                    std::to_string(k.count) + "\n";
        const std::string idle_key = http ? "timeout http-keep-alive" : "timeout client";
        audit_detail::check_path(
            o, idle, setting, context.path, "haproxy",
            [idle_key](std::uint64_t sec) { return idle_key + " " + std::to_string(sec) + "s\n"; }, tcp_fix,
            report.findings);
    }

    AuditedObject object(const HaproxySection& p, const Settings& s, Side side, const EffectiveKeepalive& k) {
        AuditedObject o;
        o.kind = "haproxy " + p.kind;
        o.name = p.name;
        o.at = p.at;
        o.side = side;
        o.tcp = k;
        const std::vector<std::string> keys =
            side == Side::downstream
                ? std::vector<std::string>{"mode", "timeout client", "timeout http-keep-alive", "timeout http-request",
                                           "timeout tunnel"}
                : std::vector<std::string>{"mode", "timeout server", "timeout tunnel", "http-reuse"};
        for (const auto& key : keys) {
            const auto it = s.find(key);
            o.settings.push_back({key, it != s.end() ? it->second.text
                                       : key == "mode"       ? "tcp (default)"
                                       : key == "http-reuse" ? "safe (default)"
                                                             : "unset"});
        }
        for (const auto& l : p.lines)
            for (std::size_t i = 1; i + 1 < l.words.size(); ++i)
                if (l.words[i] == "tcp-ut" && ((side == Side::downstream && l.words[0] == "bind") ||
                                              (side == Side::upstream && l.words[0] == "server"))) {
                    if (auto ms = time_ms(l.words[i + 1], 1000)) o.tcp.user_timeout_ms = *ms;
                }
        return o;
    }

    void run(const HaproxyConfig& config) {
        std::map<std::string, Settings> named;
        Settings last;
        for (const auto& sec : config.sections)
            for (const auto& l : sec.lines)
                if (const auto* modern = legacy_timeout(l.words[0]))
                    add("A13", Severity::info, l.at,
                        l.words[0] + " is the spelling of timeout " + modern +
                            " before HAProxy 2.1, read as it here; HAProxy 2.1 and later refuse the file",
                        "timeout " + std::string(modern) + (l.words.size() >= 2 ? " " + l.words[1] : "") + "\n");
        if (!config.conditionals.empty())
            add("A13", Severity::info, config.conditionals.front(),
                "conditional blocks (.if/.elif/.else) are read as if every branch applied: their conditions are "
                "not evaluated here, so where branches set the same keyword the last one counts",
                "# check the branch your HAProxy takes with haproxy -c\n");
        for (const auto& sec : config.sections) {
            if (sec.kind == "defaults") {
                Settings s = sec.from.empty() ? Settings{} : named[sec.from];
                for (const auto& l : sec.lines) apply_line(s, l);
                if (!sec.name.empty()) named[sec.name] = s;
                last = s;
                continue;
            }
            if (sec.kind != "frontend" && sec.kind != "backend" && sec.kind != "listen") continue;
            Settings s = sec.from.empty() ? last : named[sec.from];
            for (const auto& l : sec.lines) apply_line(s, l);
            check_placement(sec);
            if (sec.kind != "backend") {
                const auto k = side_keepalive(s, "clitcpka");
                check_side(sec, s, "clitcpka", k);
                auto o = object(sec, s, Side::downstream, k);
                check_downstream_path(o, s);
                report.objects.push_back(std::move(o));
            }
            if (sec.kind != "frontend") {
                const auto k = side_keepalive(s, "srvtcpka");
                check_side(sec, s, "srvtcpka", k);
                report.objects.push_back(object(sec, s, Side::upstream, k));
            }
        }
    }
};

}  // namespace

AuditReport audit_haproxy(const HaproxyConfig& config, std::string_view file, const AuditContext& context) {
    HaproxyAudit a{context, {}};
    a.report.type = ConfigType::haproxy;
    a.report.files.emplace_back(file);
    a.report.netns = context.netns;
    a.run(config);
    return a.report;
}

}  // namespace kt
