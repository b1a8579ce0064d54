#include "core/audit/audit.hpp"

#include <algorithm>
#include <cctype>

#include "core/snippet/render_family.hpp"
#include "core/text/duration.hpp"
#include "core/text/number_parse.hpp"

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
    switch (t) {
        case ConfigType::nginx: return "nginx";
        case ConfigType::haproxy: return "haproxy";
        case ConfigType::envoy: return "envoy";
        case ConfigType::kubernetes: return "kubernetes";
    }
    return "nginx";
}

Result<ConfigType> parse_config_type(std::string_view text) {
    for (auto t : {ConfigType::nginx, ConfigType::haproxy, ConfigType::envoy, ConfigType::kubernetes})
        if (text == config_type_name(t)) return t;
    return fail("--type", "\"" + std::string(text) +
                              "\" is not a configuration type this build audits; give nginx, haproxy, envoy or kubernetes");
}

Result<KubernetesVersion> parse_kubernetes_version(std::string_view text, std::string_view flag) {
    auto bad = [&] {
        return fail(std::string(flag), "\"" + std::string(text) + "\" is not a Kubernetes release; give X.Y, such as 1.29");
    };
    auto t = text;
    if (!t.empty() && t[0] == 'v') t.remove_prefix(1);
    const auto dot = t.find('.');
    if (dot == std::string_view::npos) return bad();
    auto rest = t.substr(dot + 1);
    if (const auto second = rest.find('.'); second != std::string_view::npos) rest = rest.substr(0, second);
    const auto major = parse_whole_number(t.substr(0, dot), 1, 9);
    const auto minor = parse_whole_number(rest, 0, 999);
    if (!major || !minor) return bad();
    return KubernetesVersion{static_cast<unsigned>(*major), static_cast<unsigned>(*minor)};
}

std::string kubernetes_version_text(const KubernetesVersion& v) {
    return std::to_string(v.major) + "." + std::to_string(v.minor);
}

namespace {

// The lines of `text`, without their newlines.
std::vector<std::string_view> lines_of(std::string_view text) {
    std::vector<std::string_view> out;
    for (std::size_t pos = 0; pos < text.size();) {
        auto eol = text.find('\n', pos);
        if (eol == std::string_view::npos) eol = text.size();
        out.push_back(text.substr(pos, eol - pos));
        pos = eol + 1;
    }
    return out;
}

// `"key":` anywhere: JSON on one line has many keys a line.
bool has_quoted_key(std::string_view text, std::string_view key) {
    const std::string quoted = "\"" + std::string(key) + "\"";
    for (auto at = text.find(quoted); at != std::string_view::npos; at = text.find(quoted, at + 1)) {
        const auto next = text.find_first_not_of(" \t\r\n", at + quoted.size());
        if (next != std::string_view::npos && text[next] == ':') return true;
    }
    return false;
}

// The keys of YAML and JSON: the word before a colon at the start of a line (after blanks, a
// list dash, and quotes), with whether it was unindented.
std::optional<ConfigType> guess_yaml_type(std::string_view text) {
    bool api_version = false, kind = false, helm_values = false, envoy_root = false, envoy_lists = false,
         type_url = false, configs = false, resources = false, filter_chains = false, address = false,
         cluster_keys = false;
    for (std::string_view line : lines_of(text)) {
        const auto first = line.find_first_not_of(" \t\r{,[-");
        if (first == std::string_view::npos) continue;
        const bool top = first == 0;
        line = line.substr(first);
        if (!line.empty() && (line[0] == '"' || line[0] == '\'')) line.remove_prefix(1);
        const auto end = line.find_first_of("\"': \t");
        if (end == std::string_view::npos) continue;
        auto after = line.substr(end);
        if (!after.empty() && (after[0] == '"' || after[0] == '\'')) after.remove_prefix(1);
        after = after.substr(std::min(after.find_first_not_of(" \t"), after.size()));
        if (after.empty() || after[0] != ':') continue;
        const auto key = line.substr(0, end);
        if (key == "apiVersion") api_version = true;
        if (key == "kind") kind = true;
        if (top && (key == "gatewayProxies" || key == "meshConfig")) helm_values = true;
        if (key == "static_resources" || key == "dynamic_resources" || key == "staticResources" ||
            key == "dynamicResources")
            envoy_root = true;
        if (top && (key == "listeners" || key == "clusters")) envoy_lists = true;
        if (key == "@type") type_url = true;
        if (key == "configs") configs = true;
        if (key == "resources") resources = true;
        if (key == "filter_chains" || key == "filterChains") filter_chains = true;
        if (key == "address") address = true;
        if (key == "load_assignment" || key == "loadAssignment" || key == "connect_timeout" || key == "connectTimeout")
            cluster_keys = true;
    }
    api_version = api_version || has_quoted_key(text, "apiVersion");
    kind = kind || has_quoted_key(text, "kind");
    envoy_root = envoy_root || has_quoted_key(text, "static_resources") || has_quoted_key(text, "staticResources");
    type_url = type_url || has_quoted_key(text, "@type");
    configs = configs || has_quoted_key(text, "configs");
    resources = resources || has_quoted_key(text, "resources");
    // Kubernetes first: an EnvoyFilter carries Envoy's keys, and pod specs have `resources`.
    if ((api_version && kind) || helm_values) return ConfigType::kubernetes;
    if (envoy_root || envoy_lists || (type_url && (configs || resources))) return ConfigType::envoy;
    // A bare listener or cluster, or a list of them (Envoy Gateway and xDS tools print those).
    if ((filter_chains && address) || cluster_keys) return ConfigType::envoy;
    return std::nullopt;
}

// Lines shaped as YAML keys ("key:", "- key: value") against lines shaped as nginx directives
// (ending in ';', '{' or '}'): a Helm values file has a few "{}" but far more keys.
bool reads_as_yaml(std::string_view text) {
    int keys = 0, directives = 0;
    for (std::string_view line : lines_of(text)) {
        auto first = line.find_first_not_of(" \t\r");
        if (first == std::string_view::npos || line[first] == '#') continue;
        line = line.substr(first);
        const auto last = line.find_last_not_of(" \t\r");
        if (const char end = line[last]; end == ';' || end == '{' || end == '}') ++directives;
        if (line.starts_with("- ")) line.remove_prefix(2);
        std::size_t i = 0;
        while (i < line.size() && (std::isalnum(static_cast<unsigned char>(line[i])) || line[i] == '_' || line[i] == '-' ||
                                   line[i] == '.' || line[i] == '"' || line[i] == '\''))
            ++i;
        if (i > 0 && i < line.size() && line[i] == ':' && (i + 1 == line.size() || line[i + 1] == ' ' || line[i + 1] == '\r'))
            ++keys;
    }
    return keys > directives;
}

}  // namespace

std::optional<ConfigType> guess_config_type(std::string_view text) {
    if (auto yaml = guess_yaml_type(text)) return yaml;
    // YAML that is neither Kubernetes nor Envoy (a Helm values file) is not nginx either.
    if (reads_as_yaml(text)) return std::nullopt;
    int haproxy = 0, nginx = 0;
    for (std::string_view line : lines_of(text)) {
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

std::string render_fix(std::string_view target, Side side, const KeepaliveSettings& k,
                       const std::optional<EnvoyVersion>& envoy_version, std::string_view name) {
    Profile p;
    p.name = "audit";
    p.keepalive = k;
    RenderOptions o;
    o.side = side;
    o.envoy_version = envoy_version;
    auto r = render_profile(p, target, o);
    if (!r) return "# " + r.error().line() + "\n";
    std::string out;
    for (const auto& s : r->snippets) {
        std::string body = s.body;
        if (!name.empty()) {
            for (const std::string_view sample : {"- name: ingress\n", "- name: backend\n", "  name: client-keepalive\n",
                                                  "  name: backend-keepalive\n", "  name: gateway-proxy\n",
                                                  "  name: default-backend-8080\n"})
                if (const auto at = body.find(sample); at != std::string::npos)
                    body.replace(at, sample.size(),
                                 std::string(sample.substr(0, sample.find("name: ") + 6)) + std::string(name) + "\n");
            // The sample's own address would replace the listener's.
            const std::string_view address = "  address: {socket_address: {address: 0.0.0.0, port_value: 8443}}\n";
            if (const auto at = body.find(address); at != std::string::npos)
                body.replace(at, address.size(), "  # keep its address and filter_chains\n");
        }
        if (r->snippets.size() > 1) out += "# " + s.title + "\n";
        out += body;
    }
    return out;
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
