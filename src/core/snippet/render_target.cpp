#include "core/snippet/render_target.hpp"

#include <array>

#include "core/snippet/render_family.hpp"
#include "core/text/nearest.hpp"
#include "core/text/number_parse.hpp"

namespace kt {

namespace {
namespace rf = render_family;

constexpr std::array<RenderTarget, 17> k_targets = {{
    {"nginx", "listen ... so_keepalive= (downstream), proxy_socket_keepalive plus sysctl.d (upstream)", true, true,
     false, rf::nginx},
    {"haproxy", "option clitcpka/srvtcpka, clitcpka-*/srvtcpka-* and tcp-ut on bind and server lines", true, true,
     false, rf::haproxy},
    {"envoy", "listener tcp_keepalive (1.37+) or socket_options, cluster upstream_connection_options", true, true, true,
     rf::envoy},
    {"istio", "DestinationRule and MeshConfig tcpKeepalive (upstream), EnvoyFilter socket options (downstream)", true,
     true, false, rf::istio},
    {"envoy-gateway", "ClientTrafficPolicy (downstream) and BackendTrafficPolicy (upstream) tcpKeepalive", true, true,
     false, rf::envoy_gateway},
    {"gloo", "Gloo Edge Gateway options.socketOptions (downstream), Upstream connectionConfig.tcpKeepalive", true, true,
     false, rf::gloo},
    {"higress", "the Istio DestinationRule and EnvoyFilter Higress accepts (it has no keepalive field)", true, true,
     false, rf::higress},
    {"contour", "what Contour fixes (45/5/9 downstream, nothing upstream) and the alternative", true, true, false,
     rf::contour},
    {"systemd-socket", "a .socket drop-in: KeepAlive=, KeepAliveTimeSec=, KeepAliveIntervalSec=, KeepAliveProbes=",
     true, false, false, rf::systemd_socket},
    {"sysctl.d", "net.ipv4.tcp_keepalive_* for a network namespace's sockets that set no values", true, true, false,
     rf::sysctl_d},
    {"kubernetes", "pod securityContext.sysctls, as a patch for a Deployment", true, true, false, rf::kubernetes},
    {"go", "net.KeepAliveConfig for net.ListenConfig and net.Dialer (Go 1.23+; --go-version for older)", true, true,
     false, rf::go},
    {"java", "jdk.net.ExtendedSocketOptions on a Socket or channel (JDK 11+)", true, true, false, rf::java},
    {"netty", "EpollChannelOption on a ServerBootstrap (child) and a Bootstrap", true, true, false, rf::netty},
    {"postgresql", "postgresql.conf tcp_keepalives_* and tcp_user_timeout (the server's client connections)", true,
     false, false, rf::postgresql},
    {"libpq", "a pg_service.conf entry with keepalives_* and tcp_user_timeout (client connections)", false, true, false,
     rf::libpq},
    {"redis", "redis.conf tcp-keepalive (the server's client connections)", true, false, false, rf::redis},
}};

std::vector<std::string_view> target_names() {
    std::vector<std::string_view> names;
    for (const auto& t : k_targets) names.push_back(t.name);
    return names;
}

std::string_view one_side_only(const RenderTarget& t) {
    return t.downstream ? "downstream" : "upstream";
}

// Word-wraps `text` to lines of at most `width` characters after `first` / `rest`.
std::string wrap(std::string_view first, std::string_view rest, std::string_view text, std::size_t width) {
    std::string out, line(first);
    std::size_t start = 0;
    bool line_empty = true;
    while (start < text.size()) {
        auto end = text.find(' ', start);
        if (end == std::string_view::npos) end = text.size();
        const auto word = text.substr(start, end - start);
        if (!line_empty && line.size() + 1 + word.size() > width) {
            out += line + "\n";
            line = std::string(rest);
            line_empty = true;
        }
        if (!line_empty) line += ' ';
        line += word;
        line_empty = false;
        start = end + 1;
    }
    return out + line + "\n";
}

std::string profile_line(const Profile& p) {
    std::string s = "profile " + p.name + ": ";
    if (p.keepalive.enabled)
        s += "keepalive idle " + std::to_string(p.keepalive.idle_seconds) + " s, interval " +
             std::to_string(p.keepalive.interval_seconds) + " s, count " + std::to_string(p.keepalive.count);
    else
        s += "keepalive off";
    if (!p.user_timeout_ms)
        s += "; no user timeout";
    else if (*p.user_timeout_ms == 0)
        s += "; user timeout 0 (off)";
    else
        s += "; user timeout " + std::to_string(*p.user_timeout_ms) + " ms";
    return s;
}
}  // namespace

std::string_view side_name(Side s) {
    switch (s) {
        case Side::downstream:
            return "downstream";
        case Side::upstream:
            return "upstream";
        case Side::both:
            return "both";
    }
    return "both";
}

Result<Side> parse_side(std::string_view text) {
    constexpr std::array<std::string_view, 3> names = {"downstream", "upstream", "both"};
    for (std::size_t i = 0; i < names.size(); ++i)
        if (text == names[i]) return static_cast<Side>(i);
    return fail("--side " + std::string(text),
                "must be downstream, upstream or both" + did_you_mean(text, std::span(names)));
}

std::string_view caveat_kind_name(CaveatKind k) {
    switch (k) {
        case CaveatKind::cannot_express:
            return "cannot-express";
        case CaveatKind::rounding:
            return "rounding";
        case CaveatKind::approximation:
            return "approximation";
        case CaveatKind::version:
            return "version";
        case CaveatKind::scope:
            return "scope";
    }
    return "scope";
}

Result<EnvoyVersion> parse_envoy_version(std::string_view text) {
    const auto bad = [&] {
        return fail("--envoy-version " + std::string(text), "expected MAJOR.MINOR or MAJOR.MINOR.PATCH, as in 1.36");
    };
    const auto dot = text.find('.');
    if (dot == std::string_view::npos) return bad();
    auto minor_text = text.substr(dot + 1);
    if (const auto second = minor_text.find('.'); second != std::string_view::npos) {
        if (!parse_whole_number(minor_text.substr(second + 1), 0, 9999)) return bad();
        minor_text = minor_text.substr(0, second);
    }
    const auto major = parse_whole_number(text.substr(0, dot), 0, 99);
    const auto minor = parse_whole_number(minor_text, 0, 999);
    if (!major || !minor) return bad();
    if (*major == 0)
        return fail("--envoy-version " + std::string(text), "no release is numbered 0.x; versions start at 1.0 (as in 1.36)");
    return EnvoyVersion{static_cast<unsigned>(*major), static_cast<unsigned>(*minor)};
}

Result<GoVersion> parse_go_version(std::string_view text) {
    auto v = parse_envoy_version(text);
    if (!v) {
        const bool zero = v.error().why.starts_with("no release");
        return fail("--go-version " + std::string(text),
                    zero ? "no release is numbered 0.x; versions start at 1.0 (as in 1.19)"
                         : "expected MAJOR.MINOR or MAJOR.MINOR.PATCH, as in 1.19");
    }
    return GoVersion{v->major, v->minor};
}

std::span<const RenderTarget> render_targets() {
    return k_targets;
}

const RenderTarget* find_render_target(std::string_view name) {
    for (const auto& t : k_targets)
        if (t.name == name) return &t;
    return nullptr;
}

Result<const RenderTarget*> check_render_request(std::string_view target, const RenderOptions& o) {
    const RenderTarget* t = find_render_target(target);
    if (!t) {
        const auto names = target_names();
        return fail("--for " + std::string(target), "unknown target" + did_you_mean(target, std::span(names)) +
                                                        "; `keepalive-tune profile render --list` lists them");
    }
    const bool side_ok = o.side == Side::both || (o.side == Side::downstream ? t->downstream : t->upstream);
    if (!side_ok)
        return fail("--side " + std::string(side_name(o.side)),
                    std::string(t->name) + " renders only the " + std::string(one_side_only(*t)) + " side");
    if (o.envoy_version && !t->takes_envoy_version)
        return fail("--envoy-version", "only --for envoy takes it; " + std::string(t->name) +
                                           " renders what works on every release it supports");
    if (o.go_version && t->name != "go")
        return fail("--go-version", "only --for go takes it; " + std::string(t->name) + " is not Go");
    return t;
}

Result<Rendering> render_profile(const Profile& p, std::string_view target, const RenderOptions& o) {
    auto t = check_render_request(target, o);
    if (!t) return std::unexpected(t.error());
    return (*t)->render(p, o);
}

std::string snippet_text(const Profile& p, std::string_view target, const Snippet& s) {
    const std::string lead = s.comments == CommentStyle::slashes ? "// " : "# ";
    const std::string more = s.comments == CommentStyle::slashes ? "//   " : "#   ";
    constexpr std::size_t width = 100;
    std::string out =
        wrap(lead, more, "keepalive-tune profile render " + p.name + " --for " + std::string(target) + ": " + s.title,
             width);
    out += wrap(lead, more, profile_line(p), width);
    if (!s.where.empty()) out += wrap(lead, more, "goes in: " + s.where, width);
    for (const auto& c : s.caveats)
        out += wrap(lead, more, std::string(caveat_kind_name(c.kind)) + ": " + c.text, width);
    return out + s.body;
}

std::vector<Caveat> all_caveats(const Rendering& r) {
    std::vector<Caveat> all;
    for (const auto& s : r.snippets)
        for (const auto& c : s.caveats) {
            bool seen = false;
            for (const auto& a : all) seen = seen || a == c;
            if (!seen) all.push_back(c);
        }
    return all;
}

namespace render_family {

std::string duration_text(std::uint64_t ms) {
    if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
    return std::to_string(ms) + "ms";
}

Snippet nothing_to_set(std::string_view what, std::string_view remove) {
    Snippet s = yaml_snippet(std::string(what) + ": nothing to set", "", "# remove " + std::string(remove) + "\n");
    s.caveats.push_back(off_by_default(what));
    return s;
}

Snippet yaml_snippet(std::string title, std::string where, std::string body) {
    Snippet s;
    s.title = std::move(title);
    s.where = std::move(where);
    s.syntax = "yaml";
    s.body = std::move(body);
    return s;
}

Rendering one_snippet(Snippet s, const Profile& p, const RenderOptions& o, bool with_user_timeout) {
    Rendering r;
    r.snippets.push_back(std::move(s));
    if (wants_downstream(o)) r.effective.push_back(profile_values(p, Side::downstream, with_user_timeout));
    if (wants_upstream(o)) r.effective.push_back(profile_values(p, Side::upstream, with_user_timeout));
    return r;
}

EffectiveValues profile_values(const Profile& p, Side side, bool with_user_timeout) {
    EffectiveValues v;
    v.side = side;
    v.keepalive = p.keepalive.enabled;
    if (p.keepalive.enabled) {
        v.idle_seconds = p.keepalive.idle_seconds;
        v.interval_seconds = p.keepalive.interval_seconds;
        v.count = p.keepalive.count;
    }
    if (with_user_timeout) v.user_timeout_ms = p.user_timeout_ms;
    return v;
}

std::optional<Caveat> no_user_timeout(const Profile& p, std::string_view why) {
    const auto ut = user_timeout(p);
    if (!ut) return std::nullopt;
    return Caveat{CaveatKind::cannot_express, "TCP_USER_TIMEOUT: " + std::string(why) + "; the profile's " +
                                                  std::to_string(*ut) + " ms are not applied."};
}

Caveat off_by_default(std::string_view what) {
    return {CaveatKind::scope, "the profile turns keepalive off, which is " + std::string(what) +
                                   "'s default: remove any keepalive settings instead of adding some."};
}

Caveat whole_seconds(std::string_view who, std::string_view how) {
    return {CaveatKind::rounding, std::string(who) + " " + std::string(how) +
                                      "; a Duration under 1 s becomes 0, which disables keepalive on Envoy 1.37+. "
                                      "The profile's values are whole seconds, so nothing is lost here."};
}

std::string socket_option_lines(const Profile& p, std::string_view indent, bool with_user_timeout, bool camel) {
    const std::string value_key = camel ? "intValue" : "int_value";
    const auto line = [&](std::string_view description, unsigned level, unsigned name, std::uint64_t value) {
        return std::string(indent) + "- {description: " + std::string(description) + ", level: " + num(level) +
               ", name: " + num(name) + ", " + value_key + ": " + num(value) + ", state: STATE_PREBIND}\n";
    };
    std::string out;
    if (!p.keepalive.enabled) {
        out += line("SO_KEEPALIVE off", 1, 9, 0);
    } else {
        out += line("SO_KEEPALIVE", 1, 9, 1);
        out += line("TCP_KEEPIDLE seconds", 6, 4, p.keepalive.idle_seconds);
        out += line("TCP_KEEPINTVL seconds", 6, 5, p.keepalive.interval_seconds);
        out += line("TCP_KEEPCNT", 6, 6, p.keepalive.count);
    }
    if (with_user_timeout && p.user_timeout_ms) out += line("TCP_USER_TIMEOUT ms", 6, 18, *p.user_timeout_ms);
    return out;
}

}  // namespace render_family

}  // namespace kt
