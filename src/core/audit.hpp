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

#include "core/config_source.hpp"
#include "core/error.hpp"
#include "core/haproxy_config.hpp"
#include "core/network_path.hpp"
#include "core/nginx_config.hpp"
#include "core/render_target.hpp"

namespace kt {

enum class Severity { info, low, medium, high };

std::string_view severity_name(Severity s);
// "info", "low", "medium" or "high"; the error names --fail-on.
Result<Severity> parse_severity(std::string_view text);

enum class ConfigType { nginx, haproxy };

std::string_view config_type_name(ConfigType t);
// "nginx" or "haproxy"; the error names --type and the types known.
Result<ConfigType> parse_config_type(std::string_view text);
// The type the text looks like: HAProxy's section keywords at the start of lines, or nginx's
// braces and semicolons. Nothing when neither fits.
std::optional<ConfigType> guess_config_type(std::string_view text);

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
    std::string rule;  // "A1" ... "A13"
    Severity severity = Severity::info;
    SourcePosition at;
    std::string evidence;  // one sentence
    std::string fix_syntax;  // "nginx", "haproxy", "sysctl"
    std::string fix;         // the snippet to put there
};

struct AuditReport {
    ConfigType type = ConfigType::nginx;
    std::vector<std::string> files;
    NetnsKeepalive netns;
    std::vector<AuditedObject> objects;
    std::vector<AuditFinding> findings;
};

AuditReport audit_nginx(const NginxConfig& config, const AuditContext& context);
AuditReport audit_haproxy(const HaproxyConfig& config, std::string_view file, const AuditContext& context);

// The worst severity among `findings`, or nothing.
std::optional<Severity> worst_severity(const std::vector<AuditFinding>& findings);

// Shared by the two audits.
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

// A8/A9 on one downstream object against the path. `idle_close_ms` is when the proxy itself
// closes an idle connection (nothing: never), set by `idle_setting`. A8: it must outlive each hop
// that only application data refreshes (an L7 load balancer reusing the connection). A9: TCP
// keepalive must fire before each hop that probes refresh, unless the proxy closes first.
// `idle_fix(seconds)` writes the setting at a value; `tcp_fix` turns keepalive on below the path.
void check_path(const AuditedObject& o, std::optional<std::uint64_t> idle_close_ms, std::string_view idle_setting,
                const NetworkPath& path, const std::string& fix_syntax,
                const std::function<std::string(std::uint64_t)>& idle_fix, const std::string& tcp_fix,
                std::vector<AuditFinding>& out);

}  // namespace audit_detail

}  // namespace kt
