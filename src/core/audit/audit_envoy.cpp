// The audit of Envoy listeners and clusters (PROXY-CONFIGS.md §3, rules A8, A9, A14-A18, A23).
#include <algorithm>
#include <set>

#include "core/audit/audit.hpp"
#include "core/audit/envoy_keepalive.hpp"
#include "core/config/yaml_values.hpp"
#include "core/text/duration.hpp"

namespace kt {

namespace {

using namespace envoy_fields;

constexpr EnvoyVersion k_typed_keepalive_since{1, 37};
constexpr std::uint64_t k_hour_ms = 3600000;
constexpr std::string_view k_http_options = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions";

std::string name_of(const YamlNode& n) {
    const auto* name = n.get("name");
    return name && name->is_scalar() && !name->scalar.empty() ? name->scalar : "(unnamed)";
}

// A Duration field: its value in ms, or nothing when unset or unreadable; `shown` says which.
struct DurationField {
    const YamlNode* node = nullptr;
    std::optional<std::uint64_t> ms;
    std::string shown;
};

DurationField duration_field(const YamlNode* n, std::string_view default_text) {
    DurationField d;
    d.node = n;
    if (!n) {
        d.shown = std::string(default_text) + " (default)";
        return d;
    }
    if (auto ns = yaml_duration_ns(*n)) {
        d.ms = *ns / 1000000;
        d.shown = *ns == 0 ? "0s (disabled)" : format_duration_ns(*ns);
    } else {
        d.shown = (n->is_scalar() ? n->scalar : std::string("?")) + " (unreadable: " + ns.error().why + ")";
    }
    return d;
}

enum class FilterKind { hcm, tcp_proxy, other };

struct Filter {
    const YamlNode* config = nullptr;  // typed_config
    FilterKind kind = FilterKind::other;
};

std::vector<Filter> network_filters(const YamlNode& listener) {
    std::vector<const YamlNode*> chains;
    if (const auto* fc = listener.get("filter_chains"); fc && fc->is_sequence())
        for (const auto& c : fc->items) chains.push_back(&c);
    if (const auto* d = listener.get("default_filter_chain")) chains.push_back(d);
    std::vector<Filter> out;
    for (const auto* chain : chains) {
        const auto* filters = chain->get("filters");
        if (!filters || !filters->is_sequence()) continue;
        for (const auto& f : filters->items) {
            const auto* config = f.get("typed_config");
            if (!config || !config->is_mapping()) continue;
            const auto name = name_of(f);
            const auto type = type_url(*config);
            if (name.find("http_connection_manager") != std::string::npos || type.ends_with(".HttpConnectionManager"))
                out.push_back({config, FilterKind::hcm});
            else if (name.find("tcp_proxy") != std::string::npos || type.ends_with(".TcpProxy"))
                out.push_back({config, FilterKind::tcp_proxy});
            else
                out.push_back({config, FilterKind::other});  // redis_proxy, mongo_proxy, thrift, ...
        }
    }
    return out;
}

std::string keepalive_text(const TcpKeepalive& t) {
    auto field = [](std::optional<std::int64_t> v) { return v ? std::to_string(*v) : std::string("netns"); };
    return "time " + field(t.time) + ", interval " + field(t.interval) + ", probes " + field(t.probes);
}

struct EnvoyAudit {
    const AuditContext& context;
    AuditReport report;
    std::set<std::string> tcp_proxy_clusters, http_route_clusters;
    // Clusters other network filters (redis_proxy, ...) and listener filters (udp_proxy) use:
    // not HTTP. And whether some HTTP connection manager takes its routes from RDS, which this
    // file does not hold, so that any other cluster may be one it routes to.
    std::set<std::string> other_filter_clusters;
    bool routes_unseen = false;
    bool has_listeners = false;

    bool typed_keepalive_works() const {
        return !context.envoy_version || *context.envoy_version >= k_typed_keepalive_since;
    }
    std::string version_text() const {
        if (!context.envoy_version) return "Envoy 1.37 or later (the default of --envoy-version)";
        return "Envoy " + std::to_string(context.envoy_version->major) + "." +
               std::to_string(context.envoy_version->minor) + " (--envoy-version)";
    }
    KeepaliveSettings fix_values() const { return audit_detail::recommended_keepalive(context.path); }
    std::string listener_fix(const std::string& name) const {
        return audit_detail::render_fix("envoy", Side::downstream, fix_values(), context.envoy_version, name);
    }
    std::string cluster_fix(const std::string& name) const {
        return audit_detail::render_fix("envoy", Side::upstream, fix_values(), context.envoy_version, name);
    }

    void add(std::string rule, Severity s, const SourcePosition& at, std::string evidence, std::string fix) {
        report.findings.push_back({std::move(rule), s, at, std::move(evidence), "envoy", std::move(fix)});
    }

    // A14 (milliseconds) and A15 (zero) on a TcpKeepalive message.
    void check_message(const TcpKeepalive& t, const std::string& what, const std::string& fix) {
        SourcePosition at = t.at;
        if (const auto ms = millisecond_lookalike(t, at); !ms.empty())
            add("A14", Severity::high, at,
                what + " has " + ms + ": TcpKeepalive takes seconds (the change that added the listener field "
                                      "described milliseconds), so this waits " +
                    ms.substr(ms.find(' ') + 1) + " s, or setsockopt fails above the kernel's 32767",
                fix);
        at = t.at;
        if (const auto zero = zero_field(t, at); !zero.empty())
            add("A15", Severity::medium, at,
                what + " has " + zero +
                    (typed_keepalive_works()
                         ? ", which turns TCP keepalive off on " + version_text() + " rather than meaning a default"
                         : ": setsockopt with 0 fails on Envoy before 1.37, so the netns value stays (not verified)"),
                fix);
    }

    void audit_listener(const YamlNode& l) {
        AuditedObject o;
        o.kind = "envoy listener";
        o.name = name_of(l);
        o.at = l.at;
        std::vector<SocketOption> options;
        if (const auto* so = l.get("socket_options")) options = read_socket_options(*so);
        o.tcp = keepalive_from_socket_options(options, context.netns);
        const auto fix = listener_fix(o.name);
        const auto* tk = l.get("tcp_keepalive");
        if (tk && tk->is_mapping()) {
            const auto t = read_tcp_keepalive(*tk);
            o.settings.push_back({"tcp_keepalive", keepalive_text(t)});
            if (!typed_keepalive_works()) {
                add("A14", Severity::high, tk->at,
                    "listener " + o.name + " sets tcp_keepalive, a field new in Envoy 1.37, on " + version_text() +
                        ": a static bootstrap is rejected, and over xDS the field may be dropped with only a warning",
                    fix);
            } else if (!o.tcp.enabled) {
                o.tcp = keepalive_from_message(t, context.netns, true);
            }
            check_message(t, "listener " + o.name + " tcp_keepalive", fix);
        } else {
            o.settings.push_back({"tcp_keepalive", "unset"});
        }
        check_socket_options(l, o.name, options, fix);

        std::optional<std::uint64_t> idle_close;
        std::string idle_setting;
        bool first = true;
        std::vector<const YamlNode*> listener_filter_clusters;
        if (const auto* lf = l.get("listener_filters")) find_all(*lf, "cluster", listener_filter_clusters);
        for (const auto* n : listener_filter_clusters)
            if (n->is_scalar()) other_filter_clusters.insert(n->scalar);
        for (const auto& f : network_filters(l)) {
            if (f.kind == FilterKind::other) {
                std::vector<const YamlNode*> used;
                find_all(*f.config, "cluster", used);
                for (const auto* n : used)
                    if (n->is_scalar()) other_filter_clusters.insert(n->scalar);
                continue;
            }
            if (f.kind == FilterKind::hcm) {
                const auto idle = duration_field(f.config->path({"common_http_protocol_options", "idle_timeout"}), "1h");
                const auto stream = duration_field(f.config->get("stream_idle_timeout"), "5m");
                o.settings.push_back({"http idle_timeout", idle.shown});
                o.settings.push_back({"stream_idle_timeout", stream.shown});
                if (first) {
                    idle_close = idle.node ? idle.ms : k_hour_ms;
                    if (idle_close == 0u) idle_close.reset();
                    idle_setting = "http idle_timeout";
                }
                check_h2_pings(*f.config, "listener " + o.name, fix, o);
                collect_route_clusters(*f.config);
            } else {
                const auto idle = duration_field(f.config->get("idle_timeout"), "1h");
                o.settings.push_back({"tcp_proxy idle_timeout", idle.shown});
                if (first) {
                    idle_close = idle.node ? idle.ms : k_hour_ms;
                    if (idle_close == 0u) idle_close.reset();
                    idle_setting = "tcp_proxy idle_timeout";
                }
                check_tcp_proxy(*f.config, idle, o, fix);
            }
            first = false;
        }
        if (!context.path.empty()) {
            const bool http = idle_setting == "http idle_timeout";
            audit_detail::check_path(
                o, idle_close, idle_setting.empty() ? "idle timeout" : idle_setting, context.path, "envoy",
                [http](std::uint64_t s) {
                    return http ? "# in the listener's http_connection_manager typed_config\n"
                                  "common_http_protocol_options:\n  idle_timeout: " +
                                      std::to_string(s) + "s\n"
                                : "# in the listener's tcp_proxy typed_config\nidle_timeout: " + std::to_string(s) +
                                      "s\n";
                },
                fix, report.findings);
        }
        report.objects.push_back(std::move(o));
    }

    // A16: keepalive socket options applied after listen(), or on a listener that cannot take a change.
    void check_socket_options(const YamlNode& l, const std::string& name, const std::vector<SocketOption>& options,
                              const std::string& fix) {
        bool any = false;
        for (const auto& opt : options) {
            if (!is_keepalive_option(opt)) continue;
            any = true;
            if (opt.state == "STATE_LISTENING")
                add("A16", Severity::medium, opt.at,
                    "listener " + name + " sets keepalive socket option level " + std::to_string(*opt.level) +
                        " name " + std::to_string(*opt.name) +
                        " at STATE_LISTENING: seen not to reach accepted connections from Envoy 1.17 (envoy#18107); "
                        "STATE_PREBIND is what works",
                    fix);
        }
        if (const auto* reuse = l.get("enable_reuse_port"); any && reuse) {
            const auto* value = reuse->get("value") ? reuse->get("value") : reuse;
            if (yaml_bool(*value) == false)
                add("A16", Severity::medium, reuse->at,
                    "listener " + name +
                        " has keepalive socket_options and enable_reuse_port false: Envoy rejects a changed "
                        "socket_options on such a listener (before envoy PR #23189 it ignored the change)",
                    "enable_reuse_port: true\n# or give the listener a new name to make Envoy create new sockets\n");
        }
    }

    // A23: HTTP/2 PINGs are application-level.
    void check_h2_pings(const YamlNode& scope, const std::string& what, const std::string& fix, AuditedObject& o) {
        std::vector<const YamlNode*> found;
        find_all(scope, "connection_keepalive", found);
        for (const auto* n : found) {
            const auto* interval = n->get("interval");
            const std::string shown = interval ? duration_field(interval, "").shown : "set";
            o.settings.push_back({"http2 connection_keepalive", "interval " + shown});
            add("A23", Severity::info, n->at,
                what + " has HTTP/2 connection_keepalive (interval " + shown +
                    "): PING frames are application-level, not TCP keepalive; they keep Envoy's own view of the "
                    "connection fresh, but an AWS ALB does not count them as activity and no SO_KEEPALIVE is set",
                "# keep connection_keepalive if you want PINGs; TCP keepalive is separate:\n" + fix);
        }
    }

    // A18 on a tcp_proxy.
    void check_tcp_proxy(const YamlNode& tcp, const DurationField& idle, const AuditedObject& o, const std::string& fix) {
        if (const auto* c = tcp.get("cluster"); c && c->is_scalar()) tcp_proxy_clusters.insert(c->scalar);
        std::vector<const YamlNode*> weighted;
        find_all(tcp, "name", weighted);
        for (const auto* n : weighted)
            if (n->is_scalar()) tcp_proxy_clusters.insert(n->scalar);
        const std::string keepalive =
            o.tcp.enabled ? "TCP keepalive idle " + format_duration_s(o.tcp.idle_seconds) : "no TCP keepalive";
        const std::string idle_fix = "# in the listener's tcp_proxy typed_config\nidle_timeout: 600s\n";
        if (!idle.node && (!o.tcp.enabled || o.tcp.idle_seconds >= k_hour_ms / 1000))
            add("A18", Severity::medium, tcp.at,
                "tcp_proxy in listener " + o.name + " has no idle_timeout (1 h by default) and " + keepalive +
                    " below it: a long-lived connection whose peer vanished, or that a middlebox dropped, holds its "
                    "upstream connection for an hour",
                idle_fix + fix);
        else if (idle.node && idle.ms == 0u)
            add("A18", Severity::medium, idle.node->at,
                "tcp_proxy in listener " + o.name + " has idle_timeout 0s, which disables it (\"likely to yield "
                    "connection leaks\", tcp_proxy.proto), with " + keepalive + " to notice dead peers",
                idle_fix + (o.tcp.enabled ? std::string() : fix));
    }

    void collect_route_clusters(const YamlNode& hcm) {
        if (!hcm.get("route_config")) routes_unseen = true;  // rds or scoped routes
        std::vector<const YamlNode*> found;
        find_all(hcm, "cluster", found);
        for (const auto* n : found)
            if (n->is_scalar()) http_route_clusters.insert(n->scalar);
    }

    void audit_cluster(const YamlNode& c) {
        AuditedObject o;
        o.kind = "envoy cluster";
        o.name = name_of(c);
        o.at = c.at;
        o.side = Side::upstream;
        o.tcp.source = "no upstream_connection_options.tcp_keepalive";
        const auto fix = cluster_fix(o.name);
        if (const auto* tk = c.path({"upstream_connection_options", "tcp_keepalive"}); tk && tk->is_mapping()) {
            const auto t = read_tcp_keepalive(*tk);
            o.tcp = keepalive_from_message(t, context.netns, typed_keepalive_works());
            o.settings.push_back({"tcp_keepalive", keepalive_text(t)});
            check_message(t, "cluster " + o.name + " upstream_connection_options.tcp_keepalive", fix);
        }
        const YamlNode* http_options = nullptr;
        if (const auto* typed = c.get("typed_extension_protocol_options"))
            http_options = typed->get(k_http_options);
        const YamlNode* idle_node = http_options ? http_options->path({"common_http_protocol_options", "idle_timeout"})
                                                 : nullptr;
        if (!idle_node) idle_node = c.path({"common_http_protocol_options", "idle_timeout"});
        // A17 is for clusters an HTTP connection manager uses: known when the cluster speaks HTTP,
        // a route here names it, or a connection manager takes its routes from RDS and no other
        // filter uses the cluster; possible (and said so, at low severity) when no listener in this
        // file shows how it is used; not for tcp_proxy, redis_proxy, udp_proxy and the like.
        const bool elsewhere = tcp_proxy_clusters.count(o.name) || other_filter_clusters.count(o.name);
        const bool http = http_options || c.get("http2_protocol_options") || c.get("common_http_protocol_options") ||
                          c.get("http_protocol_options") || http_route_clusters.count(o.name) ||
                          (routes_unseen && !elsewhere);
        const bool maybe_http = !http && !elsewhere && !has_listeners;
        if (http || maybe_http) {
            const auto idle = duration_field(idle_node, "1h");
            o.settings.push_back({"http idle_timeout", idle.shown});
            check_upstream_idle(o, idle, maybe_http);
            check_h2_pings(c, "cluster " + o.name, fix, o);
        } else {
            o.settings.push_back({"http idle_timeout", elsewhere ? "n/a (used by tcp_proxy or another network filter)"
                                                                 : "n/a (no HTTP connection manager routes to it)"});
        }
        report.objects.push_back(std::move(o));
    }

    // A17: the upstream HTTP idle timeout against the backends' keep-alive.
    void check_upstream_idle(const AuditedObject& o, const DurationField& idle, bool use_unseen) {
        const auto backend = context.backend_idle_ms;
        const std::uint64_t proposed = backend ? std::max<std::uint64_t>(*backend / 1000, 2) - 1 : 4;
        const std::string fix =
            "clusters:\n- name: " + o.name + "\n  typed_extension_protocol_options:\n    " + std::string(k_http_options) +
            ":\n      \"@type\": type.googleapis.com/" + std::string(k_http_options) +
            "\n      common_http_protocol_options:\n        idle_timeout: " + std::to_string(proposed) + "s" +
            (backend ? "  # below the backends' keep-alive (--backend-idle)\n"
                     : "  # below your backends' keep-alive timeout (Node.js before v25: 5 s)\n") +
            "      explicit_http_config:  # or keep your protocol choice\n        http_protocol_options: {}\n";
        // Where this file does not show an HTTP connection manager using the cluster, the finding
        // is conditional, and low.
        const Severity severity = use_unseen ? Severity::low : Severity::high;
        const std::string condition =
            use_unseen ? " (if an HTTP connection manager routes to it: no listener in this file shows one that does)"
                       : "";
        const std::string risk =
            condition + ": Envoy can send a request on a connection the backend is closing, a 503 with flag UC (envoy#14981, "
            "#28105; Envoy ignores the backend's Keep-Alive: timeout= header)";
        if (!idle.node)
            add("A17", severity, o.at,
                "cluster " + o.name +
                    " has no upstream HTTP idle_timeout, so idle connections are kept 1 h (the default), longer than "
                    "most backends keep them (" +
                    (backend ? "--backend-idle " + format_duration_ms(*backend)
                             : std::string("Node.js 5 s before v25, Apache httpd 5 s, nginx 75 s")) +
                    ")" + risk,
                fix);
        else if (idle.ms == 0u)
            add("A17", severity, idle.node->at,
                "cluster " + o.name + " has upstream idle_timeout 0s, which disables it: Envoy never closes idle "
                                      "connections, so the backend always closes first" + risk,
                fix);
        else if (idle.ms && backend && *idle.ms >= *backend)
            add("A17", severity, idle.node->at,
                "cluster " + o.name + " upstream idle_timeout " + idle.shown + " is not below the backends' keep-alive " +
                    format_duration_ms(*backend) + " (--backend-idle)" + risk,
                fix);
    }

    void run(const EnvoyConfig& config) {
        has_listeners = !config.listeners.empty();
        for (const auto* l : config.listeners) audit_listener(*l);
        for (const auto* c : config.clusters) audit_cluster(*c);
    }
};

}  // namespace

AuditReport audit_envoy(const EnvoyConfig& config, const AuditContext& context) {
    EnvoyAudit a{context, {}, {}, {}, {}, false, false};
    a.report.type = ConfigType::envoy;
    a.report.files = config.files;
    a.report.netns = context.netns;
    a.run(config);
    return a.report;
}

}  // namespace kt
