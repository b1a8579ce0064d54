// Envoy Gateway, Gloo Edge and Contour.
#include "core/snippet/render_family.hpp"

namespace kt::render_family {

namespace {
Snippet traffic_policy(const Profile& p, std::string_view kind, std::string_view name, std::string_view side) {
    Snippet s = yaml_snippet(
        std::string(kind) + " (" + std::string(side) + ")", "kubectl apply -f, with targetRefs naming your Gateway",
        "apiVersion: gateway.envoyproxy.io/v1alpha1\nkind: " + std::string(kind) +
             "\nmetadata:\n  name: " + std::string(name) +
             "\n  namespace: default\nspec:\n  targetRefs:\n  - group: gateway.networking.k8s.io\n"
             "    kind: Gateway\n    name: eg\n  tcpKeepalive:\n    idleTime: " +
             duration_text(p.keepalive.idle_seconds * 1000ULL) +
             "\n    interval: " + duration_text(p.keepalive.interval_seconds * 1000ULL) +
             "\n    probes: " + num(p.keepalive.count) + "\n");
    s.caveats.push_back(whole_seconds("Envoy Gateway",
                                      "converts idleTime and interval with uint32(d.Seconds()), "
                                      "truncating"));
    if (auto c = no_user_timeout(p, "neither ClientTrafficPolicy nor BackendTrafficPolicy has a field for it"))
        s.caveats.push_back(*c);
    s.caveats.push_back({CaveatKind::version,
                         "tcpKeepalive is in ClientTrafficPolicy since Envoy Gateway v0.6.0 and in "
                         "BackendTrafficPolicy since v1.0.0. Recent releases take targetRefs (a list); older ones a "
                         "single targetRef (not verified which release changed it)."});
    return s;
}

Snippet gloo_gateway(const Profile& p) {
    Snippet s = yaml_snippet(
        "Gateway options.socketOptions (downstream)",
        "your gateway.solo.io Gateway (kubectl edit gateway -n gloo-system gateway-proxy): add options.socketOptions",
        "apiVersion: gateway.solo.io/v1\nkind: Gateway\nmetadata:\n  name: gateway-proxy\n  namespace: gloo-system\n"
        "spec:\n  bindAddress: '::'\n  bindPort: 8080\n  httpGateway: {}\n  options:\n    socketOptions:\n" +
            socket_option_lines(p, "    ", true, true));
    s.caveats.push_back({CaveatKind::scope,
                         "level 1 name 9 is SO_KEEPALIVE; level 6 names 4, 5, 6, 18 are TCP_KEEPIDLE, TCP_KEEPINTVL, "
                         "TCP_KEEPCNT (s, s, count) and TCP_USER_TIMEOUT (ms), passed to setsockopt as they are."});
    s.caveats.push_back({CaveatKind::version, "options.socketOptions needs Gloo Edge 1.7.0 (1.6.6, 1.5.16)."});
    return s;
}

Snippet gloo_upstream(const Profile& p) {
    Snippet s = yaml_snippet(
        "Upstream connectionConfig.tcpKeepalive (upstream)", "each gloo.solo.io Upstream: add spec.connectionConfig to yours",
        "apiVersion: gloo.solo.io/v1\nkind: Upstream\nmetadata:\n  name: default-backend-8080\n"
        "  namespace: gloo-system\nspec:\n  kube:\n    serviceName: backend\n    serviceNamespace: default\n"
        "    servicePort: 8080\n  connectionConfig:\n    tcpKeepalive:\n      keepaliveProbes: " +
            num(p.keepalive.count) + "\n      keepaliveTime: " + duration_text(p.keepalive.idle_seconds * 1000ULL) +
            "\n      keepaliveInterval: " + duration_text(p.keepalive.interval_seconds * 1000ULL) + "\n");
    s.caveats.push_back({CaveatKind::rounding,
                         "Gloo rounds keepaliveTime and keepaliveInterval up to whole seconds; "
                         "the profile's values are whole seconds, so nothing changes."});
    if (auto c = no_user_timeout(p, "connectionConfig has no field for it")) s.caveats.push_back(*c);
    s.caveats.push_back({CaveatKind::scope,
                         "the Helm value gatewayProxies.NAME.tcpKeepaliveTimeSeconds only reaches Gloo's own xDS "
                         "and static clusters, not the traffic to Upstreams."});
    return s;
}

std::string contour_roles(const RenderOptions& o) {
    if (o.side == Side::downstream) return " --role listener,accepted";
    if (o.side == Side::upstream) return " --role upstream";
    return "";
}
}  // namespace

Rendering envoy_gateway(const Profile& p, const RenderOptions& o) {
    Rendering r;
    if (wants_downstream(o)) {
        r.snippets.push_back(
            p.keepalive.enabled
                ? traffic_policy(p, "ClientTrafficPolicy", "client-keepalive", "downstream")
                : nothing_to_set("Envoy Gateway's listeners", "tcpKeepalive from ClientTrafficPolicies"));
        r.effective.push_back(profile_values(p, Side::downstream, false));
    }
    if (wants_upstream(o)) {
        r.snippets.push_back(
            p.keepalive.enabled
                ? traffic_policy(p, "BackendTrafficPolicy", "backend-keepalive", "upstream")
                : nothing_to_set("Envoy Gateway's upstream connections", "tcpKeepalive from BackendTrafficPolicies"));
        r.effective.push_back(profile_values(p, Side::upstream, false));
    }
    return r;
}

Rendering gloo(const Profile& p, const RenderOptions& o) {
    Rendering r;
    if (wants_downstream(o)) {
        r.snippets.push_back(gloo_gateway(p));
        r.effective.push_back(profile_values(p, Side::downstream, true));
    }
    if (wants_upstream(o)) {
        r.snippets.push_back(p.keepalive.enabled ? gloo_upstream(p)
                                                 : nothing_to_set("Gloo's upstream connections",
                                                                  "connectionConfig.tcpKeepalive from Upstreams"));
        r.effective.push_back(profile_values(p, Side::upstream, false));
    }
    return r;
}

Rendering contour(const Profile& p, const RenderOptions& o) {
    Snippet s;
    s.title = "what Contour fixes, and the profile put on Envoy's sockets from outside";
    s.where = "a shell on each node that runs Contour's Envoy, as root";
    s.syntax = "sh";
    // Contour's Envoy pods, not every Envoy on the node (Istio sidecars, Envoy Gateway and Gloo
    // proxies are envoy too): enforce on the pod's cgroup for new connections, survives container
    // restarts; apply, with an undo file, for the connections already open.
    s.body = "# for each Envoy pod of Contour (kubectl -n projectcontour get pods -l app=envoy -o wide)\n"
             "pod=projectcontour/ENVOY_POD\n"
             "keepalive-tune enforce " + p.name + " --pod \"$pod\"" + contour_roles(o) + "\n"
             "keepalive-tune apply " + p.name + " --pod \"$pod\"" + contour_roles(o) +
             " --undo-file /var/lib/keepalive-tune/contour-$(echo \"$pod\" | tr / -).undo.json\n";
    if (wants_downstream(o))
        s.caveats.push_back(
            {CaveatKind::cannot_express,
             "Contour gives every HTTP and HTTPS listener SO_KEEPALIVE, TCP_KEEPIDLE 45, TCP_KEEPINTVL "
             "5 and TCP_KEEPCNT 9 (STATE_LISTENING) and lets none of it be changed: ContourConfiguration "
             "listener socketOptions take only tos and trafficClass."});
    if (wants_upstream(o))
        s.caveats.push_back({CaveatKind::cannot_express,
                             "Contour has no upstream TCP keepalive setting (only its own xDS cluster gets one), so "
                             "Envoy's connections to services have keepalive off."});
    if (const auto ut = user_timeout(p))
        s.caveats.push_back({CaveatKind::cannot_express,
                             "TCP_USER_TIMEOUT: Contour has no setting for it either; "
                             "only the command below applies the profile's " +
                                 num(*ut) + " ms."});
    s.caveats.push_back({CaveatKind::scope,
                         "sysctls do not help: the listeners set their own values and the upstream connections never "
                         "turn keepalive on. HTTPProxy timeoutPolicy.idleConnection and ContourConfiguration "
                         "timeouts.connectionIdleTimeout are HTTP idle timeouts, not keepalive."});
    s.caveats.push_back({CaveatKind::scope,
                         "the alternative, the commands above, on the node that runs the pod, as root: enforce puts "
                         "the profile on every new connection of the pod's cgroup (with --override-app it also "
                         "replaces the 45/5/9 Envoy sets on its listeners; enforce --remove undoes it), and apply puts "
                         "it on the sockets already open, with an undo file for keepalive-tune undo. Not --comm envoy: "
                         "Istio sidecars, Envoy Gateway and Gloo proxies on the same node are envoy too. The "
                         "application's own keepalive on its accepted connections is the other way for the upstream "
                         "side."});
    return one_snippet(std::move(s), p, o, true);
}

}  // namespace kt::render_family
