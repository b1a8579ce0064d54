// How a running proxy was started: which program it is, and which configuration files its
// command line makes it read. Pure: the caller reads /proc/PID/cmdline, comm, exe and cwd.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/text/error.hpp"

namespace kt {

enum class ProxyKind { nginx, haproxy, envoy };

std::string_view proxy_kind_name(ProxyKind k);

// The proxy a process is, by its comm or the basename of its executable ("nginx",
// "haproxy", "envoy"); nothing for anything else.
std::optional<ProxyKind> proxy_kind_of(std::string_view comm, std::string_view exe_path);

// Where Debian's nginx looks when neither -c nor -p is given (`nginx -V`: --prefix=/usr/share/nginx
// --conf-path=/etc/nginx/nginx.conf), and HAProxy's packaged default.
inline constexpr std::string_view k_nginx_default_prefix = "/usr/share/nginx/";
inline constexpr std::string_view k_nginx_default_conf = "/etc/nginx/nginx.conf";
inline constexpr std::string_view k_haproxy_default_conf = "/etc/haproxy/haproxy.cfg";

struct ProxyLaunch {
    ProxyKind kind = ProxyKind::nginx;
    // Absolute paths as the process sees them (inside its own root). For HAProxy an entry may be a
    // directory, whose *.cfg files it reads in name order.
    std::vector<std::string> config_paths;
    bool default_config = false;  // no -c / -f: the compiled-in default
    std::string prefix;           // nginx -p, absolute, with a trailing '/'; empty when not given
    // An nginx worker, cache manager or cache loader: nginx rewrote its command line, and its
    // master (the parent) holds the configuration.
    bool nginx_helper = false;
};

// Parses `argv` of a process of kind `kind` whose working directory is `cwd` (absolute).
// nginx: -c FILE relative to the prefix (-p PREFIX, itself relative to cwd, else the compiled
// prefix), default /etc/nginx/nginx.conf; a master's retitled command line ("nginx: master
// process /usr/sbin/nginx -c FILE") is split back into words. HAProxy: every -f FILE|DIR and the
// files after `--`, relative to -C DIR or cwd, default /etc/haproxy/haproxy.cfg. Envoy: -c or
// --config-path; none is an error (Envoy has no default file).
Result<ProxyLaunch> parse_proxy_launch(ProxyKind kind, const std::vector<std::string>& argv, std::string_view cwd);

// `path` made absolute against `base` (an absolute directory), with "." and ".." resolved
// lexically as the kernel would for a path without symlinks.
std::string absolute_path(std::string_view path, std::string_view base);

}  // namespace kt
