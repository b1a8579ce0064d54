// The audit of Kubernetes resources for Envoy-based control planes: Istio DestinationRule,
// MeshConfig and EnvoyFilter, Envoy Gateway ClientTrafficPolicy and BackendTrafficPolicy, Gloo
// Edge Gateway, Upstream and Helm values (PROXY-CONFIGS.md §4, rules A9, A16, A19, A21, A23),
// and pod sysctls (audit_pods.cpp, A22).
#include <functional>

#include "core/audit/audit.hpp"
#include "core/audit/envoy_keepalive.hpp"
#include "core/config/yaml_values.hpp"
#include "core/text/duration.hpp"

namespace kt {

namespace {

using namespace envoy_fields;

constexpr std::uint64_t k_second_ns = 1000000000ULL;

// How a control plane turns a Duration into Envoy's whole seconds.
enum class Seconds { truncate, round_up };

struct KeepaliveKeys {
    std::string_view time, interval, probes;
};
constexpr KeepaliveKeys k_istio{"time", "interval", "probes"};
constexpr KeepaliveKeys k_envoy_gateway{"idleTime", "interval", "probes"};
constexpr KeepaliveKeys k_gloo{"keepaliveTime", "keepaliveInterval", "keepaliveProbes"};

std::string text_of(const YamlNode* n) {
    return n && n->is_scalar() ? n->scalar : std::string();
}

struct KubernetesAudit {
    const AuditContext& context;
    AuditReport report;

    KeepaliveSettings fix_values() const { return audit_detail::recommended_keepalive(context.path); }
    std::string fix(std::string_view target, Side side, std::string_view name) const {
        return audit_detail::render_fix(target, side, fix_values(), context.envoy_version, name);
    }
    // The rendered resource in the object's namespace, and for a DestinationRule its host.
    std::string fix(std::string_view target, Side side, const KubernetesObject& o) const {
        auto text = fix(target, side, o.name);
        const auto replace = [&text](std::string_view from, const std::string& to) {
            if (const auto at = text.find(from); at != std::string::npos && !to.empty())
                text.replace(at, from.size(), to);
        };
        if (!o.namespace_name.empty())
            for (const std::string_view ns : {"  namespace: default\n", "  namespace: gloo-system\n",
                                              "  namespace: istio-system\n"})
                replace(ns, "  namespace: " + o.namespace_name + "\n");
        if (const auto* host = o.node->path({"spec", "host"}); host && host->is_scalar())
            replace("host: backend.default.svc.cluster.local", "host: " + host->scalar);
        // The fix of a resource keeps the apiVersion it was written with (v1beta1, v1), which
        // the cluster is known to serve.
        if (const auto slash = o.api_version.find('/'); slash != std::string::npos) {
            const auto group = o.api_version.substr(0, slash + 1);
            const auto head = "kind: " + o.kind + "\n";
            for (auto at = text.find("apiVersion: " + group); at != std::string::npos;
                 at = text.find("apiVersion: " + group, at + 1)) {
                const auto eol = text.find('\n', at);
                if (eol == std::string::npos || text.compare(eol + 1, head.size(), head) != 0) continue;
                text.replace(at, eol - at, "apiVersion: " + o.api_version);
            }
        }
        return text;
    }
    void add(std::string rule, Severity s, const SourcePosition& at, std::string evidence, std::string fix_text) {
        report.findings.push_back({std::move(rule), s, at, std::move(evidence), "kubernetes", std::move(fix_text)});
    }
    bool zero_disables() const { return !context.envoy_version || *context.envoy_version >= EnvoyVersion{1, 37}; }

    // A control plane's tcpKeepalive block (Durations) as Envoy gets it, with A19 on sub-second
    // values. `raw_options`: the control plane writes listener socket_options (Envoy Gateway
    // downstream), where a 0 goes to setsockopt instead of meaning "off".
    EffectiveKeepalive duration_keepalive(const YamlNode& block, const KeepaliveKeys& keys, Seconds how,
                                          const std::string& what, std::string_view who, const std::string& fix_text,
                                          bool raw_options = false) {
        EffectiveKeepalive k;
        k.enabled = true;
        int own = 0;
        bool disabled = false;
        const auto seconds = [&](std::string_view key, std::uint32_t fallback) -> std::uint32_t {
            const auto* n = block.get(key);
            if (!n) return fallback;
            auto ns = yaml_duration_ns(*n);
            if (!ns) return fallback;
            ++own;
            const auto whole = how == Seconds::truncate ? *ns / k_second_ns : (*ns + k_second_ns - 1) / k_second_ns;
            if (*ns < k_second_ns) {
                const bool to_zero = whole == 0;
                const bool turns_off = to_zero && !raw_options && zero_disables();
                const std::string effect =
                    !to_zero    ? " s, not the value written"
                    : raw_options ? " as a raw socket option, which the kernel refuses (EINVAL): the netns value "
                                    "stays if Envoy goes on (not verified)"
                    : turns_off ? ", which turns TCP keepalive off (Envoy 1.37 and later)"
                                : ", and setsockopt with 0 fails, so the netns value stays (not verified)";
                add("A19", to_zero ? Severity::medium : Severity::low, n->at,
                    what + " " + std::string(key) + " " + n->scalar + " is below 1 s: " + std::string(who) +
                        (how == Seconds::truncate ? " truncates it to whole seconds" : " rounds it up to whole seconds") +
                        ", so Envoy gets " + std::to_string(whole) + effect,
                    fix_text);
                if (turns_off) disabled = true;
                if (to_zero) {
                    --own;
                    return fallback;
                }
            }
            return static_cast<std::uint32_t>(std::min<std::uint64_t>(whole, UINT32_MAX));
        };
        k.idle_seconds = seconds(keys.time, context.netns.idle_seconds);
        k.interval_seconds = seconds(keys.interval, context.netns.interval_seconds);
        k.count = context.netns.count;
        if (const auto* p = block.get(keys.probes))
            if (const auto v = yaml_integer(*p); v && *v > 0) {
                k.count = static_cast<std::uint32_t>(std::min<std::int64_t>(*v, UINT32_MAX));
                ++own;
            }
        k.source = source_text(own, context.netns);
        if (disabled) {
            k.enabled = false;
            k.source = "a value truncated to 0 disables it";
        }
        return k;
    }

    AuditedObject object(const KubernetesObject& o, std::string kind, std::string name, const SourcePosition& at,
                         Side side) {
        AuditedObject a;
        a.kind = std::move(kind);
        a.name = name.empty() ? o.name : std::move(name);
        a.at = at;
        a.side = side;
        a.tcp.source = "off";
        return a;
    }

    static std::string duration_setting(const YamlNode* n, std::string_view default_text) {
        if (!n) return std::string(default_text) + " (default)";
        return text_of(n).empty() ? "set" : text_of(n);
    }

    // A9 (and A8) on a downstream-facing object, with the HTTP idle timeout that closes first;
    // `idle_fix(seconds)` writes that timeout.
    void check_downstream(const AuditedObject& a, const YamlNode* idle, std::string_view idle_setting,
                          const std::function<std::string(std::uint64_t)>& idle_fix, const std::string& tcp_fix) {
        if (context.path.empty()) return;
        std::optional<std::uint64_t> close_ms = 3600000;
        if (idle)
            if (auto ns = yaml_duration_ns(*idle)) close_ms = *ns / 1000000;
        if (close_ms == 0u) close_ms.reset();
        audit_detail::check_path(a, close_ms, idle_setting, context.path, "kubernetes", idle_fix, tcp_fix,
                                 report.findings);
    }

    // Envoy's own HTTP idle timeout, for resources that patch Envoy directly.
    static std::string hcm_idle_fix(std::uint64_t s) {
        return "# an EnvoyFilter NETWORK_FILTER patch (MERGE) of the http_connection_manager's typed_config\n"
               "common_http_protocol_options:\n  idle_timeout: " +
               std::to_string(s) + "s\n";
    }

    void destination_rule(const KubernetesObject& o) {
        std::vector<std::pair<std::string, const YamlNode*>> policies;
        const auto add_policy = [&](const std::string& label, const YamlNode* p) {
            if (!p) return;
            policies.push_back({label, p});
            if (const auto* ports = p->get("portLevelSettings"); ports && ports->is_sequence())
                for (const auto& port : ports->items)
                    policies.push_back({label + " port " + text_of(port.path({"port", "number"})), &port});
        };
        add_policy(o.name, o.node->path({"spec", "trafficPolicy"}));
        if (const auto* subsets = o.node->path({"spec", "subsets"}); subsets && subsets->is_sequence())
            for (const auto& s : subsets->items)
                add_policy(o.name + " subset " + text_of(s.get("name")), s.get("trafficPolicy"));
        for (const auto& [label, policy] : policies) {
            const auto* pool = policy->get("connectionPool");
            if (!pool) continue;
            auto a = object(o, "istio DestinationRule", label, pool->at, Side::upstream);
            a.tcp.source = "none here; MeshConfig tcpKeepalive applies if set";
            if (const auto* ka = pool->path({"tcp", "tcpKeepalive"}))
                a.tcp = duration_keepalive(*ka, k_istio, Seconds::truncate, "DestinationRule " + label + " tcpKeepalive",
                                           "Istio", fix("istio", Side::upstream, o));
            a.settings.push_back({"tcp.idleTimeout", duration_setting(pool->path({"tcp", "idleTimeout"}), "1h")});
            a.settings.push_back({"http.idleTimeout", duration_setting(pool->path({"http", "idleTimeout"}), "1h")});
            report.objects.push_back(std::move(a));
        }
    }

    void mesh_config(const KubernetesObject& o) {
        const auto* ka = o.mesh_config->get("tcpKeepalive");
        if (!ka) return;
        auto a = object(o, "istio MeshConfig", o.kind + " " + o.name, ka->at, Side::upstream);
        a.tcp = duration_keepalive(*ka, k_istio, Seconds::truncate, "MeshConfig tcpKeepalive", "Istio",
                                   fix("istio", Side::upstream, ""));
        report.objects.push_back(std::move(a));
    }

    void envoy_filter(const KubernetesObject& o) {
        const auto* patches = o.node->path({"spec", "configPatches"});
        if (!patches || !patches->is_sequence()) return;
        for (std::size_t i = 0; i < patches->items.size(); ++i) {
            const auto& patch = patches->items[i];
            const auto* value = patch.path({"patch", "value"});
            if (!value) continue;
            const auto apply_to = text_of(patch.get("applyTo"));
            const std::string label = o.name + " patch " + std::to_string(i + 1) + " (" + apply_to + ")";
            std::vector<const YamlNode*> pings;
            find_all(*value, "connection_keepalive", pings);
            find_all(*value, "connectionKeepalive", pings);
            for (const auto* p : pings)
                add("A23", Severity::info, p->at,
                    "EnvoyFilter " + label + " sets HTTP/2 connection_keepalive: PING frames are application-level, "
                                             "not TCP keepalive, and an AWS ALB does not count them as activity",
                    "# TCP keepalive is separate:\n" + fix("istio", Side::downstream, o));
            const auto* options = value->get("socket_options");
            if (!options) options = value->get("socketOptions");
            if (apply_to != "LISTENER" || !options) continue;
            auto a = object(o, "istio EnvoyFilter", label, patch.at, Side::downstream);
            const auto parsed = read_socket_options(*options);
            a.tcp = keepalive_from_socket_options(parsed, context.netns);
            for (const auto& opt : parsed)
                if (is_keepalive_option(opt) && opt.state == "STATE_LISTENING")
                    add("A16", Severity::medium, opt.at,
                        "EnvoyFilter " + label +
                            " sets a keepalive socket option at STATE_LISTENING: seen not to reach accepted "
                            "connections from Envoy 1.17 (envoy#18107); STATE_PREBIND is what works",
                        fix("istio", Side::downstream, o));
            check_downstream(a, nullptr, "http idle_timeout", hcm_idle_fix, fix("istio", Side::downstream, o));
            report.objects.push_back(std::move(a));
        }
    }

    void traffic_policy(const KubernetesObject& o, bool client) {
        const auto* spec = o.node->get("spec");
        if (!spec) return;
        const Side side = client ? Side::downstream : Side::upstream;
        auto a = object(o, "envoy-gateway " + o.kind, o.name, o.node->at, side);
        const auto policy_fix = fix("envoy-gateway", side, o);
        if (const auto* ka = spec->get("tcpKeepalive"))
            a.tcp = duration_keepalive(*ka, k_envoy_gateway, Seconds::truncate, o.kind + " " + o.name + " tcpKeepalive",
                                       "Envoy Gateway", policy_fix, client);
        const YamlNode* idle = client ? spec->path({"timeout", "http", "idleTimeout"})
                                      : spec->path({"timeout", "http", "connectionIdleTimeout"});
        a.settings.push_back({client ? "timeout.http.idleTimeout" : "timeout.http.connectionIdleTimeout",
                              duration_setting(idle, "1h")});
        if (client) {
            a.settings.push_back(
                {"timeout.tcp.idleTimeout", duration_setting(spec->path({"timeout", "tcp", "idleTimeout"}), "1h")});
            check_downstream(
                a, idle, "timeout.http.idleTimeout",
                [](std::uint64_t s) {
                    return "spec:\n  timeout:\n    http:\n      idleTimeout: " + std::to_string(s) + "s\n";
                },
                policy_fix);
        }
        report.objects.push_back(std::move(a));
    }

    void gloo_gateway(const KubernetesObject& o) {
        auto a = object(o, "gloo Gateway", o.name, o.node->at, Side::downstream);
        const auto gateway_fix = fix("gloo", Side::downstream, o);
        if (const auto* options = o.node->path({"spec", "options", "socketOptions"})) {
            const auto parsed = read_socket_options(*options);
            a.tcp = keepalive_from_socket_options(parsed, context.netns);
            for (const auto& opt : parsed)
                if (is_keepalive_option(opt) && opt.state == "STATE_LISTENING")
                    add("A16", Severity::medium, opt.at,
                        "Gateway " + o.name +
                            " sets a keepalive socket option at STATE_LISTENING: seen not to reach accepted "
                            "connections from Envoy 1.17 (envoy#18107); STATE_PREBIND is what works",
                        gateway_fix);
        }
        check_downstream(
            a, nullptr, "http idle_timeout",
            [](std::uint64_t s) {
                return "spec:\n  httpGateway:\n    options:\n      httpConnectionManagerSettings:\n"
                       "        idleTimeout: " +
                       std::to_string(s) + "s\n";
            },
            gateway_fix);
        report.objects.push_back(std::move(a));
    }

    void gloo_upstream(const KubernetesObject& o) {
        auto a = object(o, "gloo Upstream", o.name, o.node->at, Side::upstream);
        if (const auto* ka = o.node->path({"spec", "connectionConfig", "tcpKeepalive"}))
            a.tcp = duration_keepalive(*ka, k_gloo, Seconds::round_up, "Upstream " + o.name + " tcpKeepalive", "Gloo",
                                       fix("gloo", Side::upstream, o));
        report.objects.push_back(std::move(a));
    }

    // A21: Gloo's Helm tcpKeepaliveTimeSeconds reaches only Gloo's own xDS and static clusters.
    void gloo_values(const YamlNode& values) {
        const auto* proxies = values.get("gatewayProxies");
        if (!proxies || !proxies->is_mapping()) return;
        for (std::size_t i = 0; i < proxies->keys.size(); ++i)
            if (const auto* t = proxies->items[i].get("tcpKeepaliveTimeSeconds"))
                add("A21", Severity::low, t->at,
                    "gatewayProxies." + proxies->keys[i] + ".tcpKeepaliveTimeSeconds " + text_of(t) +
                        " sets keepalive_time only on the gateway-proxy's xDS and static clusters, not on client "
                        "or Upstream traffic",
                    "# for the traffic, in the Gateway and each Upstream:\n" + fix("gloo", Side::both, ""));
    }

    void run(const KubernetesConfig& config) {
        for (const auto& o : config.objects) {
            const auto group = o.api_version.substr(0, o.api_version.find('/'));
            if (o.mesh_config) mesh_config(o);
            if (group == "networking.istio.io" && o.kind == "DestinationRule") destination_rule(o);
            if (group == "networking.istio.io" && o.kind == "EnvoyFilter") envoy_filter(o);
            if (group == "gateway.envoyproxy.io" && o.kind == "ClientTrafficPolicy") traffic_policy(o, true);
            if (group == "gateway.envoyproxy.io" && o.kind == "BackendTrafficPolicy") traffic_policy(o, false);
            if (group == "gateway.solo.io" && o.kind == "Gateway") gloo_gateway(o);
            if (group == "gloo.solo.io" && o.kind == "Upstream") gloo_upstream(o);
        }
        for (const auto* v : config.helm_values) gloo_values(*v);
        audit_detail::audit_pod_sysctls(config, context, report);
    }
};

}  // namespace

AuditReport audit_kubernetes(const KubernetesConfig& config, const AuditContext& context) {
    KubernetesAudit a{context, {}};
    a.report.type = ConfigType::kubernetes;
    a.report.files = config.files;
    a.report.netns = context.netns;
    a.run(config);
    return a.report;
}

}  // namespace kt
