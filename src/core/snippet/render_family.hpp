// Shared by the renderers in core/render_*.cpp: one function per target, and the few pieces
// of text several targets write the same way. Not for use outside the renderers.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/snippet/render_target.hpp"

namespace kt::render_family {

// One per target, registered in render_target.cpp's table.
Rendering nginx(const Profile& p, const RenderOptions& o);
Rendering haproxy(const Profile& p, const RenderOptions& o);
Rendering envoy(const Profile& p, const RenderOptions& o);
Rendering istio(const Profile& p, const RenderOptions& o);
Rendering higress(const Profile& p, const RenderOptions& o);
Rendering envoy_gateway(const Profile& p, const RenderOptions& o);
Rendering gloo(const Profile& p, const RenderOptions& o);
Rendering contour(const Profile& p, const RenderOptions& o);
Rendering systemd_socket(const Profile& p, const RenderOptions& o);
Rendering sysctl_d(const Profile& p, const RenderOptions& o);
Rendering kubernetes(const Profile& p, const RenderOptions& o);
Rendering go(const Profile& p, const RenderOptions& o);
Rendering java(const Profile& p, const RenderOptions& o);
Rendering netty(const Profile& p, const RenderOptions& o);
Rendering postgresql(const Profile& p, const RenderOptions& o);
Rendering libpq(const Profile& p, const RenderOptions& o);
Rendering redis(const Profile& p, const RenderOptions& o);

inline bool wants_downstream(const RenderOptions& o) {
    return o.side != Side::upstream;
}
inline bool wants_upstream(const RenderOptions& o) {
    return o.side != Side::downstream;
}

inline std::string num(std::uint64_t v) {
    return std::to_string(v);
}

// A user timeout worth configuring: set and not 0. 0 means off, which is what a new socket has.
inline std::optional<std::uint32_t> user_timeout(const Profile& p) {
    if (p.user_timeout_ms && *p.user_timeout_ms > 0) return p.user_timeout_ms;
    return std::nullopt;
}

// "240s", or "1500ms" when not whole seconds: Go, Gateway API and protobuf Duration text.
std::string duration_text(std::uint64_t ms);

// The profile's own values on `side`, with or without its user timeout.
EffectiveValues profile_values(const Profile& p, Side side, bool with_user_timeout);

// A rendering of one snippet that gives the profile's values on every side `o` asks for.
Rendering one_snippet(Snippet s, const Profile& p, const RenderOptions& o, bool with_user_timeout);

// The caveat for a target with no TCP_USER_TIMEOUT setting, when the profile has one.
std::optional<Caveat> no_user_timeout(const Profile& p, std::string_view why);

// The caveat for a profile that turns keepalive off on a target where off is the default.
Caveat off_by_default(std::string_view what);

// For a profile that turns keepalive off where off is the default: a YAML snippet that says
// to remove `remove`, titled for `what`.
Snippet nothing_to_set(std::string_view what, std::string_view remove);

// A Kubernetes or control-plane resource: YAML, applied `where`.
Snippet yaml_snippet(std::string title, std::string where, std::string body);

// Envoy `SocketOption` entries for the profile, one flow mapping a line, each line starting
// with `indent` ("- {description: ..., level: 6, name: 4, int_value: 240, state: STATE_PREBIND}").
// `camel` writes intValue (Kubernetes CRDs of Gloo); SO_KEEPALIVE=0 alone when keepalive is off.
std::string socket_option_lines(const Profile& p, std::string_view indent, bool with_user_timeout, bool camel);

// net.ipv4.tcp_keepalive_* as a sysctl.d file, for `for_whom` (used by sysctl.d and nginx).
Snippet sysctl_snippet(const Profile& p, std::string_view for_whom);

// The caveat of the Envoy-based control planes that truncate or round Durations to seconds.
Caveat whole_seconds(std::string_view who, std::string_view how);

}  // namespace kt::render_family
