// Wing core/audit: keepalive traps in proxy configurations, the live cross-check. The last wing.
// `audit`: what keepalive a proxy configuration gives each listener, server block, frontend,
// backend and upstream, and the rules of PROXY-CONFIGS.md §10 it breaks. Pure functions of the
// parsed configuration, the network namespace's defaults and the path in front of the proxy.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/config/config_source.hpp"
#include "core/config/envoy_config.hpp"
#include "core/config/haproxy_config.hpp"
#include "core/config/kubernetes_config.hpp"
#include "core/config/nginx_config.hpp"
#include "core/profile/network_path.hpp"
#include "core/snippet/render_target.hpp"
#include "core/text/error.hpp"

namespace kt {

enum class Severity { info, low, medium, high };

std::string_view severity_name(Severity s);
// "info", "low", "medium" or "high"; the error names --fail-on.
Result<Severity> parse_severity(std::string_view text);

enum class ConfigType { nginx, haproxy, envoy, kubernetes };

std::string_view config_type_name(ConfigType t);
// "nginx", "haproxy", "envoy" or "kubernetes"; the error names --type and the types known.
Result<ConfigType> parse_config_type(std::string_view text);
// The type the text looks like: YAML or JSON keys of Kubernetes objects (apiVersion and kind,
// or Helm values of Gloo and Istio) or of Envoy (static_resources, a config_dump's configs,
// listeners and clusters, xDS resources, a bare listener or cluster or a list of them); YAML
// that is none of these (a Helm values file) is not guessed; else HAProxy's section keywords
// at the start of lines, or nginx's braces and semicolons. Nothing when none fits.
std::optional<ConfigType> guess_config_type(std::string_view text);

// A Kubernetes minor release, for which pod sysctls are safe.
struct KubernetesVersion {
    unsigned major = 1;
    unsigned minor = 30;
    friend auto operator<=>(const KubernetesVersion&, const KubernetesVersion&) = default;
};

// "1.28", "v1.28" or "1.28.3"; the error names `flag`.
Result<KubernetesVersion> parse_kubernetes_version(std::string_view text, std::string_view flag);
std::string kubernetes_version_text(const KubernetesVersion& v);

// net.ipv4.tcp_keepalive_* of the proxy's network namespace.
struct NetnsKeepalive {
    std::uint32_t idle_seconds = 7200;
    std::uint32_t interval_seconds = 75;
    std::uint32_t count = 9;
    std::string source = "kernel defaults";  // or "this host's sysctls"
};

struct AuditContext {
    NetnsKeepalive netns;
    NetworkPath path;  // the middleboxes in front of the proxy (--path), client first
    std::optional<EnvoyVersion> envoy_version;  // --envoy-version; absent: 1.37 or later, as `render`
    // --backend-idle: the keep-alive timeout of the servers behind Envoy's clusters, which no
    // Envoy configuration says.
    std::optional<std::uint64_t> backend_idle_ms;
    KubernetesVersion kubernetes_version;  // --kubernetes-version, or the default
    bool kubernetes_version_given = false;
};

// The TCP keepalive one side of a proxy object ends up with.
struct EffectiveKeepalive {
    bool enabled = false;
    std::uint32_t idle_seconds = 0;
    std::uint32_t interval_seconds = 0;
    std::uint32_t count = 0;
    std::optional<std::uint64_t> user_timeout_ms;
    std::string source;  // "off", "explicit", "netns", or "explicit + netns" when some values are inherited
};

struct AuditSetting {
    std::string name;   // the directive or keyword
    std::string value;  // as in effect, with "(default)" when the proxy's default applies
};

// A listener, server block, frontend, backend, listen section or upstream.
struct AuditedObject {
    std::string kind;  // "nginx server", "nginx upstream", "haproxy frontend", ...
    std::string name;
    SourcePosition at;
    Side side = Side::downstream;
    EffectiveKeepalive tcp;
    std::vector<AuditSetting> settings;  // HTTP keep-alive, pool and timeout settings that interact
};

struct AuditFinding {
    std::string rule;  // "A1" ... "A23"
    Severity severity = Severity::info;
    SourcePosition at;
    std::string evidence;  // one sentence
    std::string fix_syntax;  // "nginx", "haproxy", "sysctl", "envoy", "kubernetes"
    std::string fix;         // the snippet to put there
};

struct AuditReport {
    ConfigType type = ConfigType::nginx;
    std::vector<std::string> files;
    NetnsKeepalive netns;
    std::vector<AuditedObject> objects;
    std::vector<AuditFinding> findings;
    std::vector<std::string> notes;  // what was assumed to read it (a fragment's context)
};

AuditReport audit_nginx(const NginxConfig& config, const AuditContext& context);
AuditReport audit_haproxy(const HaproxyConfig& config, std::string_view file, const AuditContext& context);
// Envoy listeners and clusters (PROXY-CONFIGS.md §3, rules A8, A9, A14-A18, A23).
AuditReport audit_envoy(const EnvoyConfig& config, const AuditContext& context);
// Istio, Envoy Gateway and Gloo resources and pod sysctls (§4, §5.2, rules A9, A19, A21-A23).
AuditReport audit_kubernetes(const KubernetesConfig& config, const AuditContext& context);

// The worst severity among `findings`, or nothing.
std::optional<Severity> worst_severity(const std::vector<AuditFinding>& findings);

// Shared by the audits.
namespace audit_detail {

// Values every fix proposes: idle 60 s / 10 s / 6 probes, or an idle under the path's shortest
// timer that keepalive probes refresh.
KeepaliveSettings recommended_keepalive(const NetworkPath& path);

// Dead-peer detection while idle: idle + interval x count.
inline std::uint64_t detection_seconds(const EffectiveKeepalive& k) {
    return std::uint64_t{k.idle_seconds} + std::uint64_t{k.interval_seconds} * k.count;
}

// net.ipv4.tcp_keepalive_* set to `k` as a sysctl.d file, through `profile render --for sysctl.d`.
std::string sysctl_fix(const KeepaliveSettings& k);

// `k` on `side` as `profile render --for TARGET` writes it (envoy, istio, envoy-gateway, gloo,
// kubernetes): the snippets' bodies, with the sample resource name replaced by `name` where
// one is given.
std::string render_fix(std::string_view target, Side side, const KeepaliveSettings& k,
                       const std::optional<EnvoyVersion>& envoy_version, std::string_view name = {});

// A8/A9 on one downstream object against the path. `idle_close_ms` is when the proxy itself
// closes an idle connection (nothing: never), set by `idle_setting`. A8: it must outlive each hop
// that only application data refreshes (an L7 load balancer reusing the connection). A9: TCP
// keepalive must fire before each hop that probes refresh, unless the proxy closes first.
// `idle_fix(seconds)` writes the setting at a value; `tcp_fix` turns keepalive on below the path.
void check_path(const AuditedObject& o, std::optional<std::uint64_t> idle_close_ms, std::string_view idle_setting,
                const NetworkPath& path, const std::string& fix_syntax,
                const std::function<std::string(std::uint64_t)>& idle_fix, const std::string& tcp_fix,
                std::vector<AuditFinding>& out);

// A22 on the pod sysctls of Pods and workload templates, into `report`.
void audit_pod_sysctls(const KubernetesConfig& config, const AuditContext& context, AuditReport& report);

}  // namespace audit_detail

}  // namespace kt
