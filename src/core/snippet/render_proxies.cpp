// nginx and HAProxy.
#include <algorithm>

#include "core/snippet/render_family.hpp"

namespace kt::render_family {

namespace {
std::string so_keepalive(const Profile& p) {
    if (!p.keepalive.enabled) return "so_keepalive=off";
    return "so_keepalive=" + num(p.keepalive.idle_seconds) + ":" + num(p.keepalive.interval_seconds) + ":" +
           num(p.keepalive.count);
}

// tcp-ut is in ms unless a unit is given; whole seconds are written as such for reading.
std::string haproxy_delay(std::uint32_t ms) {
    return ms % 1000 == 0 ? num(ms / 1000) + "s" : num(ms) + "ms";
}

std::string haproxy_side(const Profile& p, std::string_view prefix) {
    const std::string option = prefix == "cli" ? "clitcpka" : "srvtcpka";
    if (!p.keepalive.enabled) return "    no option " + option + "\n";
    return "    option " + option + "\n" + "    " + option + "-idle " + num(p.keepalive.idle_seconds) + "s\n" + "    " +
           option + "-intvl " + num(p.keepalive.interval_seconds) + "s\n" + "    " + option + "-cnt " +
           num(p.keepalive.count) + "\n";
}
}  // namespace

Rendering nginx(const Profile& p, const RenderOptions& o) {
    const bool down = wants_downstream(o), up = wants_upstream(o);
    Snippet s;
    s.title = down && up ? "downstream listener and upstream keepalive"
              : down     ? "downstream listener"
                         : "upstream keepalive";
    s.where =
        "a file in /etc/nginx/conf.d/ (Debian's nginx.conf includes it inside http {}); put the parameter "
        "and the directive in your own server and location blocks";
    s.syntax = "nginx";
    // The upstream pools its connections (keepalive, HTTP/1.1, an empty Connection header):
    // without that every request opens a connection and there is no idle one to keep alive.
    if (up) s.body += "upstream backend {\n    server 127.0.0.1:8081;\n    keepalive 32;\n}\n\n";
    s.body += "server {\n";
    s.body += "    listen 8080" + (down ? " " + so_keepalive(p) : std::string()) + ";\n";
    if (up)
        s.body += "\n    location / {\n        proxy_pass http://backend;\n        proxy_http_version 1.1;\n"
                  "        proxy_set_header Connection \"\";\n        proxy_socket_keepalive " +
                  std::string(p.keepalive.enabled ? "on" : "off") + ";\n    }\n";
    s.body += "}\n";

    if (auto c = no_user_timeout(p, "nginx has no directive for it")) s.caveats.push_back(*c);
    if (up && p.keepalive.enabled)
        s.caveats.push_back({CaveatKind::cannot_express,
                             "upstream idle, interval and count: proxy_socket_keepalive only turns SO_KEEPALIVE on, so "
                             "upstream connections take net.ipv4.tcp_keepalive_* of nginx's network namespace; the "
                             "sysctl.d snippet that follows sets them."});
    if (down)
        s.caveats.push_back(
            {CaveatKind::scope,
             "so_keepalive gives its listen line a listening socket of its own (as bind does) and "
             "cannot go with quic; the same parameter works on listen lines in stream {} and mail {}."});
    s.caveats.push_back({CaveatKind::version,
                         "so_keepalive=idle:intvl:cnt needs nginx 1.1.11 (1.29.0 on macOS); "
                         "proxy_socket_keepalive needs 1.15.6."});

    Rendering r;
    r.snippets.push_back(std::move(s));
    if (down) r.effective.push_back(profile_values(p, Side::downstream, false));
    if (up) {
        r.effective.push_back(profile_values(p, Side::upstream, false));
        if (p.keepalive.enabled) r.snippets.push_back(sysctl_snippet(p, "nginx's upstream connections"));
    }
    return r;
}

Rendering haproxy(const Profile& p, const RenderOptions& o) {
    const bool down = wants_downstream(o), up = wants_upstream(o);
    const auto ut = user_timeout(p);
    Snippet s;
    s.title = down && up ? "client and server side" : down ? "client side (downstream)" : "server side (upstream)";
    s.where = "haproxy.cfg: the option lines into your own defaults section (merge them: a second defaults "
              "section starts anew, without the mode and timeouts of the first), and tcp-ut on your own bind and "
              "server lines";
    s.syntax = "haproxy";
    // A whole defaults section, so that the snippet is a configuration HAProxy accepts as it is.
    const std::uint64_t idle_timeout = std::max<std::uint64_t>(300, 2ULL * p.keepalive.idle_seconds);
    s.body = "defaults\n    mode http\n    timeout connect 5s\n";
    if (p.keepalive.enabled)
        s.body += "    # above the keepalive idle of " + num(p.keepalive.idle_seconds) +
                  "s, or an idle connection is closed before the first probe\n";
    s.body += "    timeout client " + num(idle_timeout) + "s\n    timeout server " + num(idle_timeout) + "s\n";
    if (down) s.body += haproxy_side(p, "cli");
    if (up) s.body += haproxy_side(p, "srv");
    s.body += "\nfrontend fe_main\n    bind :8080" + (down && ut ? " tcp-ut " + haproxy_delay(*ut) : std::string()) +
              "\n    default_backend be_app\n";
    s.body += "\nbackend be_app\n    server app1 127.0.0.1:8081" +
              (up && ut ? " tcp-ut " + haproxy_delay(*ut) : std::string()) + "\n";

    s.caveats.push_back({CaveatKind::scope,
                         "a defaults section replaces the one before it: pasting this block after yours drops your "
                         "mode and timeouts for what follows; merge the option lines into your own defaults."});
    if (p.keepalive.enabled)
        s.caveats.push_back({CaveatKind::scope,
                             "clitcpka-* and srvtcpka-* do nothing without option clitcpka / srvtcpka (or option "
                             "tcpka) in the same proxy, so both are in defaults; a section that says no option "
                             "clitcpka or srvtcpka loses them. HAProxy does not forward probes from one side to the "
                             "other."});
    s.caveats.push_back({CaveatKind::version,
                         "clitcpka-* and srvtcpka-* need HAProxy 2.3; on older releases keep "
                         "option clitcpka/srvtcpka and set the values with --for sysctl.d. tcp-ut "
                         "needs 1.6."});

    Rendering r;
    r.snippets.push_back(std::move(s));
    if (down) r.effective.push_back(profile_values(p, Side::downstream, true));
    if (up) r.effective.push_back(profile_values(p, Side::upstream, true));
    return r;
}

}  // namespace kt::render_family
