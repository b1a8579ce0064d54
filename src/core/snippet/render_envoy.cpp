// Envoy's own configuration (a bootstrap's static_resources, or LDS/CDS resources).
#include "core/snippet/render_family.hpp"

namespace kt::render_family {

namespace {
constexpr EnvoyVersion k_listener_keepalive_since{1, 37};

const Caveat k_seconds{CaveatKind::scope,
                       "keepalive_time and keepalive_interval are seconds (UInt32Value), passed "
                       "to TCP_KEEPIDLE and TCP_KEEPINTVL as they are, not ms."};

std::string tcp_keepalive_map(const Profile& p) {
    return "{keepalive_time: " + num(p.keepalive.idle_seconds) +
           ", keepalive_interval: " + num(p.keepalive.interval_seconds) +
           ", keepalive_probes: " + num(p.keepalive.count) + "}";
}

std::string user_timeout_option(const Profile& p, std::string_view indent) {
    return std::string(indent) +
           "- {description: TCP_USER_TIMEOUT ms, level: 6, name: 18, int_value: " + num(*p.user_timeout_ms) +
           ", state: STATE_PREBIND}\n";
}

Snippet listener(const Profile& p, bool typed_field) {
    Snippet s;
    s.title = typed_field ? "listener (downstream), Envoy 1.37 or later" : "listener (downstream) socket options";
    s.where = "your listener (static_resources.listeners or LDS): keep its address and filter_chains";
    s.syntax = "yaml";
    s.body = "listeners:\n- name: ingress\n  address: {socket_address: {address: 0.0.0.0, port_value: 8443}}\n";
    if (typed_field && p.keepalive.enabled) {
        s.body += "  tcp_keepalive: " + tcp_keepalive_map(p) + "\n";
        if (p.user_timeout_ms) s.body += "  socket_options:\n" + user_timeout_option(p, "  ");
    } else {
        s.body += "  socket_options:\n" + socket_option_lines(p, "  ", true, false);
    }
    if (typed_field) {
        s.caveats.push_back(k_seconds);
        s.caveats.push_back({CaveatKind::version,
                             "Listener.tcp_keepalive is new in Envoy 1.37; an older Envoy rejects the unknown field "
                             "in a static bootstrap. For older releases give --envoy-version (raw socket options)."});
        if (p.user_timeout_ms)
            s.caveats.push_back({CaveatKind::cannot_express,
                                 "TCP_USER_TIMEOUT has no typed field: it is the raw socket option level 6 "
                                 "(IPPROTO_TCP), name 18, in ms."});
    } else {
        s.caveats.push_back({CaveatKind::scope,
                             "level 1 name 9 is SO_KEEPALIVE, level 6 names 4, 5, 6 and 18 are TCP_KEEPIDLE, "
                             "TCP_KEEPINTVL, TCP_KEEPCNT (seconds, seconds, count) and TCP_USER_TIMEOUT (ms); "
                             "STATE_PREBIND, since keepalive options set at STATE_LISTENING were seen not to work "
                             "(envoy#18107)."});
        s.caveats.push_back({CaveatKind::version,
                             "raw socket options work on every Envoy release; from 1.37 the "
                             "listener's tcp_keepalive sets the same (rendered without "
                             "--envoy-version)."});
        s.caveats.push_back({CaveatKind::scope,
                             "changing socket_options of an existing listener is rejected unless enable_reuse_port "
                             "is true (older releases ignored the change); a new listener name avoids both."});
    }
    return s;
}

Snippet cluster(const Profile& p) {
    Snippet s = yaml_snippet("cluster (upstream)",
                             "your cluster (static_resources.clusters or CDS): keep its type and load_assignment",
                             "clusters:\n- name: backend\n");
    if (p.keepalive.enabled) {
        s.body += "  upstream_connection_options:\n    tcp_keepalive: " + tcp_keepalive_map(p) + "\n";
        s.caveats.push_back(k_seconds);
    }
    if (p.user_timeout_ms) s.body += "  upstream_bind_config:\n    socket_options:\n" + user_timeout_option(p, "    ");
    if (!p.keepalive.enabled) {
        s.body += "  # no upstream_connection_options.tcp_keepalive: Envoy turns keepalive on only when it is set\n";
        s.caveats.push_back(off_by_default("Envoy's upstream connections"));
    }
    if (p.user_timeout_ms)
        s.caveats.push_back(
            {CaveatKind::scope,
             "TCP_USER_TIMEOUT upstream goes through upstream_bind_config.socket_options (STATE_PREBIND "
             "is the only state allowed there). Older API versions require a source_address in "
             "upstream_bind_config ({address: 0.0.0.0, port_value: 0}); whether the option is applied "
             "without one is not verified."});
    return s;
}
}  // namespace

Rendering envoy(const Profile& p, const RenderOptions& o) {
    const bool typed_field = !o.envoy_version || *o.envoy_version >= k_listener_keepalive_since;
    Rendering r;
    if (wants_downstream(o)) {
        r.snippets.push_back(listener(p, typed_field && p.keepalive.enabled));
        r.effective.push_back(profile_values(p, Side::downstream, true));
    }
    if (wants_upstream(o)) {
        r.snippets.push_back(cluster(p));
        r.effective.push_back(profile_values(p, Side::upstream, true));
    }
    return r;
}

}  // namespace kt::render_family
