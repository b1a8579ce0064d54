// Wing core/snippet: profiles in proxies' and platforms' own syntax. May include the wings up to config.
// `profile render`: a profile turned into the native configuration of a proxy, platform or
// library, with what the target cannot express said next to it. One function per target,
// all in one table that also serves `render --list`.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/profile/profile.hpp"
#include "core/text/error.hpp"

namespace kt {

// Which connections a snippet is for, seen from the program being configured.
enum class Side {
    downstream,  // accepted connections: the listener's clients
    upstream,    // connections the program makes
    both,
};

std::string_view side_name(Side s);
// "downstream", "upstream" or "both"; the error names the flag and suggests the nearest.
Result<Side> parse_side(std::string_view text);

enum class CaveatKind {
    cannot_express,  // a profile value the target has no setting for
    rounding,        // the target converts units or truncates
    approximation,   // the target derives values the profile sets independently
    version,         // what needs which release
    scope,           // which sockets the settings reach, and how they interact
};

std::string_view caveat_kind_name(CaveatKind k);

struct Caveat {
    CaveatKind kind = CaveatKind::scope;
    std::string text;
    friend bool operator==(const Caveat&, const Caveat&) = default;
};

// The comment syntax a snippet's header is written in.
enum class CommentStyle { hash, slashes };

struct Snippet {
    std::string title;   // one line: what this snippet configures
    std::string where;   // the file or place it goes
    std::string syntax;  // "nginx", "haproxy", "yaml", "systemd", "sysctl", "go", "java", ...
    CommentStyle comments = CommentStyle::hash;
    std::string body;  // the configuration itself, without the header
    std::vector<Caveat> caveats;
};

// What sockets end up with on one side; an absent value is left to the socket's own or the
// network namespace's default.
struct EffectiveValues {
    Side side = Side::both;
    std::optional<bool> keepalive;
    std::optional<std::uint32_t> idle_seconds;
    std::optional<std::uint32_t> interval_seconds;
    std::optional<std::uint32_t> count;
    std::optional<std::uint32_t> user_timeout_ms;
};

struct Rendering {
    std::vector<Snippet> snippets;
    std::vector<EffectiveValues> effective;
};

// Envoy's release, for the choice between listener `tcp_keepalive` (1.37+) and raw socket options.
struct EnvoyVersion {
    unsigned major = 1;
    unsigned minor = 37;
    friend auto operator<=>(const EnvoyVersion&, const EnvoyVersion&) = default;
};

// "1.36" or "1.36.2".
Result<EnvoyVersion> parse_envoy_version(std::string_view text);

// Go's release, for the choice between net.KeepAliveConfig (1.23+) and a Control function.
struct GoVersion {
    unsigned major = 1;
    unsigned minor = 23;
    friend auto operator<=>(const GoVersion&, const GoVersion&) = default;
};

// "1.19" or "1.19.8".
Result<GoVersion> parse_go_version(std::string_view text);

struct RenderOptions {
    Side side = Side::both;
    std::optional<EnvoyVersion> envoy_version;  // absent: 1.37 or later
    std::optional<GoVersion> go_version;        // absent: 1.23 or later
};

struct RenderTarget {
    std::string_view name;
    std::string_view summary;  // one line for `render --list`
    bool downstream = true;    // which sides it can configure
    bool upstream = true;
    bool takes_envoy_version = false;
    Rendering (*render)(const Profile& p, const RenderOptions& o);
};

std::span<const RenderTarget> render_targets();
const RenderTarget* find_render_target(std::string_view name);

// The target called `target`, if the side and options suit it. The error names the flag and,
// for a misspelt target, the nearest name.
Result<const RenderTarget*> check_render_request(std::string_view target, const RenderOptions& o);

// check_render_request, then the target's renderer.
Result<Rendering> render_profile(const Profile& p, std::string_view target, const RenderOptions& o);

// The snippet as it goes into its file: the comment header (profile, target, caveats), then the body.
std::string snippet_text(const Profile& p, std::string_view target, const Snippet& s);

// The snippets' caveats, each once, in order.
std::vector<Caveat> all_caveats(const Rendering& r);

}  // namespace kt
