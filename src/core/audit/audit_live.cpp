#include "core/audit/audit_live.hpp"

#include <set>

#include "core/snippet/render_target.hpp"
#include "core/socket/ip_text.hpp"

namespace kt {

namespace {

std::string number(std::uint32_t v) { return std::to_string(v); }

// The sockets that serve `d`: its own address and port; for an unspecified address, the other
// family's wildcard (a dual-stack socket) when its own is missing; for an nginx address without
// options of its own, the wildcard listener on its port (nginx opens no socket for an address a
// wildcard covers unless `bind` or a socket option asks for one).
std::vector<ObservedListener> serving(const DeclaredListener& d, const std::vector<ObservedListener>& sockets,
                                      bool nginx) {
    std::vector<ObservedListener> out;
    for (const auto& s : sockets)
        if (s.local.port == d.port && s.local.address.unmapped() == d.ip.unmapped()) out.push_back(s);
    if (!out.empty()) return out;
    const bool wildcard_fallback = d.ip.is_unspecified() || (nginx && !d.on_listener.any());
    if (!wildcard_fallback) return out;
    for (const auto& s : sockets)
        if (s.local.port == d.port && s.local.address.is_unspecified()) out.push_back(s);
    return out;
}

std::string where(const DeclaredListener& d) { return d.address + " (" + d.object + ")"; }

struct Comparison {
    std::vector<std::string> drift;       // declared on the listener, different on the socket
    std::vector<std::string> undeclared;  // on the socket, declared nowhere
    bool lost_keepalive = false;          // declared on, the socket has it off
};

Comparison compare(const DeclaredListener& d, const SocketOptions& s, const NetnsKeepalive& netns) {
    Comparison c;
    const auto& l = d.on_listener;
    const auto& a = d.on_accept;
    if (l.keepalive && *l.keepalive != s.keepalive) {
        c.drift.push_back(std::string("SO_KEEPALIVE ") + (*l.keepalive ? "on" : "off") + " declared, " +
                          (s.keepalive ? "on" : "off") + " on the socket");
        c.lost_keepalive = *l.keepalive && !s.keepalive;
    } else if (!l.keepalive && !a.keepalive && s.keepalive) {
        c.undeclared.push_back("SO_KEEPALIVE on");
    }
    // Values only matter with keepalive on, on the socket or on every accepted connection.
    const bool probing = s.keepalive || (a.keepalive && *a.keepalive);
    const struct {
        const char* name;
        const std::optional<std::uint32_t>& listener;
        const std::optional<std::uint32_t>& accept;
        std::uint32_t have;
        std::uint32_t unset;
    } fields[] = {{"idle", l.idle_seconds, a.idle_seconds, s.idle_seconds, netns.idle_seconds},
                  {"interval", l.interval_seconds, a.interval_seconds, s.interval_seconds, netns.interval_seconds},
                  {"count", l.count, a.count, s.count, netns.count},
                  {"user timeout ms", l.user_timeout_ms, a.user_timeout_ms, s.user_timeout_ms, 0}};
    for (const auto& f : fields) {
        const bool is_timeout = std::string_view(f.name) == "user timeout ms";
        if (f.listener) {
            if (*f.listener != f.have)
                c.drift.push_back(std::string(f.name) + " " + number(*f.listener) + " declared, " + number(f.have) +
                                  " on the socket");
        } else if (!f.accept && f.have != f.unset && (probing || is_timeout)) {
            c.undeclared.push_back(std::string(f.name) + " " + number(f.have) + " (the netns default is " +
                                   number(f.unset) + ")");
        }
    }
    return c;
}

// What accepted connections get today: the listener's values, with those the proxy sets on each
// connection on top; as a profile, so the renderers of `profile render` can write it.
Profile running_profile(const DeclaredListener& d, const SocketOptions& s) {
    Profile p;
    p.name = "running";
    p.keepalive.enabled = d.on_accept.keepalive.value_or(s.keepalive);
    p.keepalive.idle_seconds = d.on_accept.idle_seconds.value_or(s.idle_seconds);
    p.keepalive.interval_seconds = d.on_accept.interval_seconds.value_or(s.interval_seconds);
    p.keepalive.count = d.on_accept.count.value_or(s.count);
    if (s.user_timeout_ms > 0) p.user_timeout_ms = s.user_timeout_ms;
    return p;
}

std::string persist_snippet(const DeclaredListener& d, const SocketOptions& s, const LiveProcess& process) {
    const auto p = running_profile(d, s);
    if (process.kind == ProxyKind::envoy) {
        const std::string name = d.object.substr(d.object.rfind(' ') + 1);
        return "# at " + d.at.file_line() + "; what `keepalive-tune profile render --for envoy` writes for the values "
               "the socket carries\n" +
               audit_detail::render_fix("envoy", Side::downstream, p.keepalive, process.envoy_version, name);
    }
    const bool nginx = process.kind == ProxyKind::nginx;
    RenderOptions o;
    o.side = Side::downstream;
    auto r = render_profile(p, nginx ? "nginx" : "haproxy", o);
    if (!r || r->snippets.empty()) return "";
    std::string body = r->snippets.front().body;
    // The renderer writes a sample listener; this one is the declared address.
    const std::string sample = nginx ? "listen 8080" : "bind :8080";
    if (auto at = body.find(sample); at != std::string::npos)
        body.replace(at, sample.size(), (nginx ? "listen " : "bind ") + d.address);
    std::string caveats;
    for (const auto& c : r->snippets.front().caveats)
        if (c.kind == CaveatKind::cannot_express) caveats += "# " + c.text + "\n";
    return "# at " + d.at.file_line() + "; what `keepalive-tune profile render --for " + (nginx ? "nginx" : "haproxy") +
           "` writes for the values the socket carries\n" + caveats + body;
}

// A reload of this process: SIGHUP to an nginx master (what `nginx -s reload` sends, without
// having to repeat its -c), SIGUSR2 to an HAProxy master (-W/-Ws).
std::string reload_fix(const LiveProcess& p) {
    const std::string pid = std::to_string(p.pid);
    if (p.kind == ProxyKind::nginx) return "kill -HUP " + pid + "   # or: systemctl reload nginx\n";
    if (p.kind == ProxyKind::envoy)
        return "# restart Envoy (a hot restart with --restart-epoch N+1 keeps connections), or update the listener\n"
               "# over xDS with enable_reuse_port: true, so that Envoy makes a new listening socket\n";
    return "systemctl reload haproxy   # or, for a master (haproxy -W/-Ws): kill -USR2 " + pid + "\n";
}

std::string join(const std::vector<std::string>& parts) {
    std::string out;
    for (const auto& p : parts) out += (out.empty() ? "" : "; ") + p;
    return out;
}

}  // namespace

std::string_view live_verdict_name(LiveVerdict v) {
    switch (v) {
        case LiveVerdict::consistent: return "consistent";
        case LiveVerdict::drift: return "drift";
        case LiveVerdict::undeclared_values: return "undeclared-values";
        case LiveVerdict::no_socket: return "no-socket";
    }
    return "consistent";
}

std::string live_values_text(const SocketOptions& o) {
    std::string out = std::string("keepalive ") + (o.keepalive ? "on " : "off ") + number(o.idle_seconds) + "/" +
                      number(o.interval_seconds) + "/" + number(o.count);
    if (o.user_timeout_ms) out += ", user timeout " + number(o.user_timeout_ms) + " ms";
    return out;
}

LiveAudit check_live_listeners(LiveProcess process, const std::vector<DeclaredListener>& declared,
                               const std::vector<ObservedListener>& sockets, const NetnsKeepalive& netns) {
    LiveAudit out;
    out.process = std::move(process);
    const bool nginx = out.process.kind == ProxyKind::nginx;
    const bool envoy = out.process.kind == ProxyKind::envoy;
    const std::string who = std::string(proxy_kind_name(out.process.kind)) + " pid " + std::to_string(out.process.pid);
    std::set<std::uint32_t> used, reported;
    for (const auto& d : declared) {
        LiveListenerCheck check{d, serving(d, sockets, nginx), LiveVerdict::consistent};
        if (check.sockets.empty()) {
            check.verdict = LiveVerdict::no_socket;
            out.findings.push_back(
                {"L3", Severity::info, d.at,
                 "declared listener " + where(d) + " has no listening socket in " + who + " or its children (netns " +
                     out.process.netns + "): the configuration is newer than what the process loaded, or the "
                     "listener is in another network namespace",
                 "shell", reload_fix(out.process)});
        }
        for (const auto& s : check.sockets) {
            used.insert(s.inode);
            const auto c = compare(d, s.options, netns);
            const std::string socket_text = endpoint_string(s.local) + " has " + live_values_text(s.options);
            if (!c.drift.empty()) {
                check.verdict = LiveVerdict::drift;
                const std::string why =
                    envoy ? "the configuration changed and Envoy has not made the listening socket again since, or "
                            "the socket was changed after Envoy made it; Envoy sets a listener's socket options when "
                            "it creates the socket (an update with other options makes a new socket only with "
                            "enable_reuse_port, and is rejected otherwise)"
                    : nginx ? "the file changed and nginx has not been reloaded since, or the socket was changed after "
                            "the last reload; nginx sets so_keepalive on its listening sockets at start and again at "
                            "every reload (ngx_configure_listening_sockets), so a reload applies it to new "
                            "connections, while connections already accepted keep what they have"
                          : "the file changed since HAProxy last (re)loaded, or the socket was changed since; "
                            "HAProxy sets tcp-ut on the listening socket when it binds it and again when a reload "
                            "hands it to the new worker (seen with 2.6 in master-worker mode)";
                out.findings.push_back({"L1", c.lost_keepalive ? Severity::high : Severity::medium, d.at,
                                        "declared " + d.declared_text + " on " + where(d) + ", the socket " +
                                            socket_text + " (" + join(c.drift) + "): " + why,
                                        "shell", reload_fix(out.process)});
            }
            // A reload fixes L1 but not these, so both are reported.
            if (!c.undeclared.empty() && reported.insert(s.inode).second) {
                if (check.verdict == LiveVerdict::consistent) check.verdict = LiveVerdict::undeclared_values;
                const std::string loses =
                    envoy   ? "the next restart of Envoy (a new listening socket) loses them"
                    : nginx ? "a reload leaves options nginx does not declare alone, but the next restart loses them"
                          : "a reload that hands the socket to the new worker keeps them, but the next restart (a "
                            "new listening socket) loses them";
                out.findings.push_back({"L2", Severity::medium, d.at,
                                        "the socket " + endpoint_string(s.local) + " serving " + where(d) +
                                            " carries " + live_values_text(s.options) +
                                            ", values the configuration does not declare (" + join(c.undeclared) +
                                            ") and so set at run time (e.g. by keepalive-tune apply): " + loses +
                                            "; persist them in the configuration",
                                        std::string(proxy_kind_name(out.process.kind)),
                                        persist_snippet(d, s.options, out.process)});
            }
        }
        out.listeners.push_back(std::move(check));
    }
    for (const auto& s : sockets)
        if (!used.count(s.inode)) out.undeclared.push_back(s);
    return out;
}

}  // namespace kt
