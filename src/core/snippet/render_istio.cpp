// Istio's resources, and Higress, which takes the same ones.
#include "core/snippet/render_family.hpp"

namespace kt::render_family {

namespace {
struct Mesh {
    std::string_view name;  // "Istio" or "Higress"
    std::string_view filter_namespace;
    std::string_view selector;  // workloadSelector block or empty
    bool mesh_config = true;
};

std::string keepalive_block(const Profile& p, std::string_view indent) {
    const std::string i(indent);
    return i + "tcpKeepalive:\n" + i + "  time: " + duration_text(p.keepalive.idle_seconds * 1000ULL) + "\n" + i +
           "  interval: " + duration_text(p.keepalive.interval_seconds * 1000ULL) + "\n" + i +
           "  probes: " + num(p.keepalive.count) + "\n";
}

// What DestinationRule and MeshConfig share: whole seconds, and no user timeout.
void add_upstream_caveats(Snippet& s, const Profile& p) {
    s.caveats.push_back(whole_seconds("Istio",
                                      "converts time and interval with uint32(Duration.Seconds), dropping "
                                      "sub-second parts"));
    if (user_timeout(p))
        s.caveats.push_back(*no_user_timeout(p,
                                             "DestinationRule and MeshConfig have no field for it (it would take an "
                                             "EnvoyFilter on each cluster's upstream_bind_config, not rendered here)"));
}

Snippet destination_rule(const Profile& p) {
    Snippet s = yaml_snippet(
        "DestinationRule (upstream)",
        "kubectl apply -f: one per destination host, or add trafficPolicy.connectionPool.tcp to yours",
        "apiVersion: networking.istio.io/v1alpha3\nkind: DestinationRule\nmetadata:\n  name: backend-keepalive\n"
        "  namespace: default\nspec:\n  host: backend.default.svc.cluster.local\n  trafficPolicy:\n"
        "    connectionPool:\n      tcp:\n" +
            keepalive_block(p, "        "));
    add_upstream_caveats(s, p);
    s.caveats.push_back({CaveatKind::scope,
                         "an application's own keepalive stops at its sidecar (istio#30658): the sidecar's connection "
                         "to the destination needs this. A DestinationRule wins over MeshConfig, which wins over the "
                         "sysctls."});
    return s;
}

Snippet mesh_config(const Profile& p) {
    Snippet s = yaml_snippet("MeshConfig (upstream, mesh-wide default)",
                             "IstioOperator spec, or the istiod Helm values (meshConfig)",
                             "meshConfig:\n" + keepalive_block(p, "  "));
    add_upstream_caveats(s, p);
    return s;
}

Snippet envoy_filter(const Profile& p, const Mesh& m) {
    Snippet s = yaml_snippet(
        "EnvoyFilter on the gateway's listeners (downstream)",
        "kubectl apply -f; " + std::string(m.name) + " has no typed field for downstream keepalive",
        "apiVersion: networking.istio.io/v1alpha3\nkind: EnvoyFilter\nmetadata:\n  name: downstream-keepalive\n"
        "  namespace: " +
        std::string(m.filter_namespace) + "\nspec:\n" + std::string(m.selector) +
        "  configPatches:\n  - applyTo: LISTENER\n    match:\n      context: GATEWAY\n    patch:\n"
        "      operation: MERGE\n      value:\n        socket_options:\n" +
            socket_option_lines(p, "        ", true, false));
    s.caveats.push_back({CaveatKind::scope,
                         "context GATEWAY patches the gateway's listeners; the gateway does not pass keepalive on "
                         "from one side to the other (istio#36669). For a sidecar's inbound side use context "
                         "SIDECAR_INBOUND and the workload's labels."});
    s.caveats.push_back({CaveatKind::scope,
                         "Envoy refuses changed socket options on a listener that exists unless enable_reuse_port "
                         "is true; check with istioctl proxy-config listener -o yaml and restart the gateway if they "
                         "are missing. Level 1 name 9 is SO_KEEPALIVE; level 6 names 4, 5, 6, 18 are TCP_KEEPIDLE, "
                         "TCP_KEEPINTVL, TCP_KEEPCNT (s, s, count) and TCP_USER_TIMEOUT (ms)."});
    return s;
}

Rendering mesh_rendering(const Profile& p, const RenderOptions& o, const Mesh& m) {
    Rendering r;
    if (wants_upstream(o)) {
        if (p.keepalive.enabled) {
            r.snippets.push_back(destination_rule(p));
            if (m.mesh_config) r.snippets.push_back(mesh_config(p));
        } else {
            r.snippets.push_back(nothing_to_set(std::string(m.name) + "'s upstream connections",
                                                "tcpKeepalive from DestinationRules" +
                                                    std::string(m.mesh_config ? " and MeshConfig" : "")));
        }
        r.effective.push_back(profile_values(p, Side::upstream, false));
    }
    if (wants_downstream(o)) {
        r.snippets.push_back(envoy_filter(p, m));
        r.effective.push_back(profile_values(p, Side::downstream, true));
    }
    return r;
}
}  // namespace

Rendering istio(const Profile& p, const RenderOptions& o) {
    return mesh_rendering(p, o,
                          {"Istio", "istio-system", "  workloadSelector:\n    labels:\n      istio: ingressgateway\n"});
}

Rendering higress(const Profile& p, const RenderOptions& o) {
    auto r = mesh_rendering(p, o, {"Higress", "higress-system", "", false});
    const Caveat why{CaveatKind::scope,
                     "Higress has no keepalive field in its own resources or in the higress-config ConfigMap; it "
                     "ships with global.enableIstioAPI: true and so takes Istio's DestinationRule (upstream) and "
                     "EnvoyFilter (downstream), an inference from its Helm defaults. The EnvoyFilter in "
                     "higress-system, without a workloadSelector, is meant for the gateway there. Higress's "
                     "upstream.idleTimeout (default 10 s) and "
                     "downstream.idleTimeout (180 s) are HTTP idle timeouts, not TCP keepalive."};
    for (auto& s : r.snippets) s.caveats.insert(s.caveats.begin(), why);
    return r;
}

}  // namespace kt::render_family
