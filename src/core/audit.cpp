#include "core/audit.hpp"

#include <algorithm>

#include "core/duration.hpp"
#include "core/render_family.hpp"

namespace kt {

std::string_view severity_name(Severity s) {
    switch (s) {
        case Severity::info: return "info";
        case Severity::low: return "low";
        case Severity::medium: return "medium";
        case Severity::high: return "high";
    }
    return "info";
}

Result<Severity> parse_severity(std::string_view text) {
    for (auto s : {Severity::info, Severity::low, Severity::medium, Severity::high})
        if (text == severity_name(s)) return s;
    return fail("--fail-on", "\"" + std::string(text) + "\" is not a severity; give info, low, medium or high");
}

std::string_view config_type_name(ConfigType t) {
    return t == ConfigType::nginx ? "nginx" : "haproxy";
}

Result<ConfigType> parse_config_type(std::string_view text) {
    if (text == "nginx") return ConfigType::nginx;
    if (text == "haproxy") return ConfigType::haproxy;
    return fail("--type", "\"" + std::string(text) + "\" is not a configuration type this build audits; give nginx or haproxy");
}

std::optional<ConfigType> guess_config_type(std::string_view text) {
    int haproxy = 0, nginx = 0;
    std::size_t pos = 0;
    while (pos < text.size()) {
        auto eol = text.find('\n', pos);
        if (eol == std::string_view::npos) eol = text.size();
        auto line = text.substr(pos, eol - pos);
        pos = eol + 1;
        const auto first = line.find_first_not_of(" \t\r");
        if (first == std::string_view::npos || line[first] == '#') continue;
        const bool indented = first > 0;
        line = line.substr(first);
        const auto word = line.substr(0, line.find_first_of(" \t\r{;"));
        if (!indented && (word == "global" || word == "defaults" || word == "frontend" || word == "backend" ||
                          word == "listen") &&
            line.find_first_of("{;") == std::string_view::npos)
            ++haproxy;
        const auto last = line.find_last_not_of(" \t\r");
        const char end = line[last];
        if (end == ';' || end == '{' || end == '}') ++nginx;
    }
    if (haproxy > 0 && haproxy * 4 >= nginx) return ConfigType::haproxy;
    if (nginx > 0) return ConfigType::nginx;
    return std::nullopt;
}

std::optional<Severity> worst_severity(const std::vector<AuditFinding>& findings) {
    std::optional<Severity> worst;
    for (const auto& f : findings)
        if (!worst || f.severity > *worst) worst = f.severity;
    return worst;
}

namespace audit_detail {

KeepaliveSettings recommended_keepalive(const NetworkPath& path) {
    KeepaliveSettings k{true, 60, 10, 6};
    for (const auto& hop : path)
        if (hop.refreshed_by_keepalive && hop.idle_timeout_ms > 0) {
            // The first probe at half the shortest timer leaves room for a lost one.
            const auto half = static_cast<std::uint32_t>(std::max<std::uint64_t>(hop.idle_timeout_ms / 2000, 1));
            k.idle_seconds = std::min(k.idle_seconds, half);
            k.interval_seconds = std::min(k.interval_seconds, std::max<std::uint32_t>(k.idle_seconds / 2, 1));
        }
    return k;
}

std::string sysctl_fix(const KeepaliveSettings& k) {
    Profile p;
    p.name = "audit";
    p.keepalive = k;
    return render_family::sysctl_snippet(p, "the proxy's network namespace").body;
}

void check_path(const AuditedObject& o, std::optional<std::uint64_t> idle_close_ms, std::string_view idle_setting,
                const NetworkPath& path, const std::string& fix_syntax,
                const std::function<std::string(std::uint64_t)>& idle_fix, const std::string& tcp_fix,
                std::vector<AuditFinding>& out) {
    const std::string idle_text =
        idle_close_ms ? std::string(idle_setting) + " " + format_duration_ms(*idle_close_ms)
                      : std::string(idle_setting) + " unset (idle connections are never closed)";
    for (const auto& hop : path) {
        const std::string hop_text = hop.name + " (idle timeout " + format_duration_ms(hop.idle_timeout_ms) + ")";
        if (!hop.refreshed_by_keepalive) {
            if (idle_close_ms && *idle_close_ms <= hop.idle_timeout_ms)
                out.push_back({"A8", Severity::high, o.at,
                               o.kind + " " + o.name + ": " + idle_text + " is not longer than " + hop_text +
                                   ", so the proxy can close a connection the load balancer is about to reuse (502)",
                               fix_syntax, idle_fix(hop.idle_timeout_ms / 1000 + 5)});
            continue;
        }
        const bool closes_first = idle_close_ms && *idle_close_ms < hop.idle_timeout_ms;
        if (closes_first) continue;
        if (!o.tcp.enabled)
            out.push_back({"A9", Severity::high, o.at,
                           o.kind + " " + o.name + ": no TCP keepalive and " + idle_text + ", so an idle connection outlives " +
                               hop_text + " and is dropped silently",
                           fix_syntax, tcp_fix});
        else if (std::uint64_t{o.tcp.idle_seconds} * 1000 >= hop.idle_timeout_ms)
            out.push_back({"A9", Severity::high, o.at,
                           o.kind + " " + o.name + ": TCP keepalive idle " + format_duration_s(o.tcp.idle_seconds) +
                               " (" + o.tcp.source + ") is not below " + hop_text +
                               ", so the first probe comes after the connection was dropped",
                           fix_syntax, tcp_fix});
    }
}

}  // namespace audit_detail

}  // namespace kt
