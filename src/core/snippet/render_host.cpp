// The host and the platform: systemd socket units, sysctl.d, Kubernetes pod sysctls.
#include "core/snippet/render_family.hpp"

namespace kt::render_family {

namespace {
const char* const k_sysctl_names[3] = {"net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_keepalive_intvl",
                                       "net.ipv4.tcp_keepalive_probes"};

std::uint32_t sysctl_value(const Profile& p, int i) {
    return i == 0 ? p.keepalive.idle_seconds : i == 1 ? p.keepalive.interval_seconds : p.keepalive.count;
}

Caveat values_only(std::string_view where) {
    return {CaveatKind::scope, "the sysctls belong to " + std::string(where) +
                                   " and reach only its sockets that turn SO_KEEPALIVE on and set no values of their "
                                   "own; they cannot turn keepalive on or off."};
}

// For a profile that turns keepalive off: the sysctls cannot say it, in `syntax`, for `whose`.
Rendering sysctls_cannot_turn_off(std::string_view syntax, std::string_view whose) {
    Snippet s;
    s.title = "nothing to set";
    s.syntax = std::string(syntax);
    s.body = "# keepalive is turned on and off per socket; " + std::string(whose) + " only give it values\n";
    s.caveats.push_back({CaveatKind::cannot_express, "keepalive off: no sysctl turns keepalive off."});
    Rendering r;
    r.snippets.push_back(std::move(s));
    return r;
}

EffectiveValues netns_values(const Profile& p) {
    EffectiveValues v;
    v.side = Side::both;
    v.idle_seconds = p.keepalive.idle_seconds;
    v.interval_seconds = p.keepalive.interval_seconds;
    v.count = p.keepalive.count;
    return v;
}
}  // namespace

Snippet sysctl_snippet(const Profile& p, std::string_view for_whom) {
    Snippet s;
    s.title = "network namespace defaults for " + std::string(for_whom);
    s.where =
        "/etc/sysctl.d/60-keepalive-tune.conf; load it now with sysctl -p /etc/sysctl.d/60-keepalive-tune.conf "
        "(or keepalive-tune apply " +
        p.name + " --sysctl)";
    s.syntax = "sysctl";
    for (int i = 0; i < 3; ++i) s.body += std::string(k_sysctl_names[i]) + " = " + num(sysctl_value(p, i)) + "\n";
    s.caveats.push_back(
        values_only("one network namespace (a container starts from the kernel's defaults, not the "
                    "host's)"));
    if (auto c = no_user_timeout(p, "there is no sysctl for it")) s.caveats.push_back(*c);
    return s;
}

Rendering sysctl_d(const Profile& p, const RenderOptions&) {
    if (!p.keepalive.enabled) return sysctls_cannot_turn_off("sysctl", "these sysctls");
    Rendering r;
    r.snippets.push_back(sysctl_snippet(p, "every program in the namespace"));
    r.effective.push_back(netns_values(p));
    return r;
}

Rendering systemd_socket(const Profile& p, const RenderOptions&) {
    Snippet s;
    s.title = "socket unit drop-in (the listening sockets systemd creates)";
    s.where =
        "systemctl edit NAME.socket (/etc/systemd/system/NAME.socket.d/keepalive.conf), then restart the "
        "socket unit: the values are set when systemd creates the socket";
    s.syntax = "systemd";
    s.body = "[Socket]\nKeepAlive=" + std::string(p.keepalive.enabled ? "yes" : "no") + "\n";
    if (p.keepalive.enabled)
        s.body += "KeepAliveTimeSec=" + num(p.keepalive.idle_seconds) +
                  "\nKeepAliveIntervalSec=" + num(p.keepalive.interval_seconds) +
                  "\nKeepAliveProbes=" + num(p.keepalive.count) + "\n";
    if (auto c = no_user_timeout(p, "systemd.socket has no setting for it")) s.caveats.push_back(*c);
    s.caveats.push_back({CaveatKind::scope,
                         "only sockets systemd creates (socket activation); the connections "
                         "accepted from them inherit the values."});
    Rendering r;
    r.snippets.push_back(std::move(s));
    r.effective.push_back(profile_values(p, Side::downstream, false));
    return r;
}

Rendering kubernetes(const Profile& p, const RenderOptions&) {
    if (!p.keepalive.enabled) return sysctls_cannot_turn_off("yaml", "pod sysctls");
    Snippet s;
    s.title = "pod sysctls, as a patch of a Deployment's pod template";
    s.where =
        "kubectl patch deployment NAME --patch-file FILE (the same under spec.template.spec of a StatefulSet "
        "or DaemonSet; in a bare Pod, spec.securityContext)";
    s.syntax = "yaml";
    s.body = "spec:\n  template:\n    spec:\n      securityContext:\n        sysctls:\n";
    for (int i = 0; i < 3; ++i)
        s.body += "        - name: " + std::string(k_sysctl_names[i]) + "\n          value: \"" +
                  num(sysctl_value(p, i)) + "\"\n";
    s.caveats.push_back(values_only("the pod's network namespace (every container in it, sidecars included)"));
    if (auto c = no_user_timeout(p, "there is no sysctl for it")) s.caveats.push_back(*c);
    s.caveats.push_back({CaveatKind::version,
                         "the three are safe sysctls since Kubernetes 1.29 (kernel 4.5 or later). A namespace whose "
                         "pod-security.kubernetes.io/enforce-version is below v1.29 rejects tcp_keepalive_intvl and "
                         "tcp_keepalive_probes; on older clusters they are unsafe, and a pod using them is scheduled "
                         "but fails to start unless the kubelet allows them (--allowed-unsafe-sysctls "
                         "'net.ipv4.tcp_keepalive_*')."});
    s.caveats.push_back({CaveatKind::scope,
                         "sysctls is an atomic list: the patch replaces the pod's whole list, so "
                         "add any sysctls it already has."});
    Rendering r;
    r.snippets.push_back(std::move(s));
    r.effective.push_back(netns_values(p));
    return r;
}

}  // namespace kt::render_family
