// Envoy's keepalive messages as they appear in YAML, wherever they are embedded: a bootstrap,
// a config_dump, an Istio EnvoyFilter patch, a Gloo Gateway (camelCase keys). Shared by the
// Envoy and Kubernetes audits and the declared listeners; audit/envoy_keepalive.hpp turns them
// into effective keepalive.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/config/config_source.hpp"
#include "core/config/yaml_tree.hpp"

namespace kt::envoy_fields {

// envoy.config.core.v3.TcpKeepalive: seconds, seconds, count; each absent when not written.
struct TcpKeepalive {
    SourcePosition at;
    std::optional<std::int64_t> time;
    std::optional<std::int64_t> interval;
    std::optional<std::int64_t> probes;
    SourcePosition time_at, interval_at, probes_at;
};

// `keepalive_time` or `keepaliveTime`, ... (values bare or quoted).
TcpKeepalive read_tcp_keepalive(const YamlNode& n);

// envoy.config.core.v3.SocketOption, snake_case or camelCase.
struct SocketOption {
    SourcePosition at;
    std::optional<std::int64_t> level;
    std::optional<std::int64_t> name;
    std::optional<std::int64_t> int_value;
    std::string state;  // "STATE_PREBIND" (also when absent), "STATE_BOUND", "STATE_LISTENING"
};

std::vector<SocketOption> read_socket_options(const YamlNode& list);

// SO_KEEPALIVE, TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT or TCP_USER_TIMEOUT.
bool is_keepalive_option(const SocketOption& o);

// The first field that is 0, as "keepalive_time 0", or empty.
std::string zero_field(const TcpKeepalive& k, SourcePosition& at);

// A time or interval that looks like milliseconds (the PR that added listener tcp_keepalive
// described them so): above the kernel's 32767, or a whole thousand from 10000 (time) or 1000
// (interval); empty when none does.
std::string millisecond_lookalike(const TcpKeepalive& k, SourcePosition& at);

// Every value of `key` anywhere under `n`, depth first (HTTP/2 connection_keepalive hides at
// several depths).
void find_all(const YamlNode& n, std::string_view key, std::vector<const YamlNode*>& out);

// The `@type` of a mapping, or "".
std::string type_url(const YamlNode& n);

}  // namespace kt::envoy_fields
