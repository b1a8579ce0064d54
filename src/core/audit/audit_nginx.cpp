// The audit of an nginx configuration (PROXY-CONFIGS.md §1, rules A1-A9).
#include <algorithm>
#include <cctype>
#include <map>

#include "core/audit/audit.hpp"
#include "core/config/nginx_values.hpp"
#include "core/profile/profile.hpp"
#include "core/text/duration.hpp"

namespace kt {

namespace {

using Block = std::vector<NginxDirective>;
// The blocks from http {} inwards: inner levels override outer ones.
using Chain = std::vector<const Block*>;

const NginxDirective* find_in(const Block& b, std::string_view name) {
    const NginxDirective* last = nullptr;
    for (const auto& d : b)
        if (d.name == name) last = &d;
    return last;
}

const NginxDirective* inherited(const Chain& chain, std::string_view name) {
    for (auto it = chain.rbegin(); it != chain.rend(); ++it)
        if (const auto* d = find_in(**it, name)) return d;
    return nullptr;
}

std::string first_arg(const NginxDirective* d) {
    return d && !d->args.empty() ? d->args[0] : std::string();
}

// proxy_set_header is inherited only by levels that have none of their own
// (ngx_http_proxy_merge_loc_conf); the value of `header` at the innermost level with any.
std::optional<const NginxDirective*> header_in_effect(const Chain& chain, std::string_view header) {
    for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
        bool any = false;
        const NginxDirective* found = nullptr;
        for (const auto& d : **it)
            if (d.name == "proxy_set_header") {
                any = true;
                if (d.args.size() == 2 && std::equal(d.args[0].begin(), d.args[0].end(), header.begin(), header.end(),
                                                     [](char a, char b) { return std::tolower(a) == std::tolower(b); }))
                    found = &d;
            }
        if (any) return found;
    }
    return std::nullopt;
}

std::string seconds_text(std::uint64_t ms) {
    return format_duration_ms(ms);
}

std::string so_keepalive_fix(const NginxDirective& listen, const KeepaliveSettings& k) {
    std::string line = "listen";
    for (const auto& a : listen.args)
        if (a.rfind("so_keepalive=", 0) != 0) line += " " + a;
    return line + " so_keepalive=" + std::to_string(k.idle_seconds) + ":" + std::to_string(k.interval_seconds) + ":" +
           std::to_string(k.count) + ";\n";
}

// The address part of a proxy_pass URL: "http://backend/x" -> "backend".
std::string proxy_pass_host(std::string_view url) {
    const auto scheme = url.find("://");
    if (scheme == std::string_view::npos) return {};
    auto rest = url.substr(scheme + 3);
    if (rest.rfind("unix:", 0) == 0) return std::string(rest.substr(0, rest.find(':', 5)));
    return std::string(rest.substr(0, rest.find('/')));
}

std::string port_of(std::string_view address) {
    const auto colon = address.rfind(':');
    if (colon == std::string_view::npos) {
        if (!address.empty() && std::all_of(address.begin(), address.end(), [](char c) { return c >= '0' && c <= '9'; }))
            return std::string(address);
        return {};
    }
    return std::string(address.substr(colon + 1));
}

struct NginxAudit {
    const AuditContext& context;
    AuditReport report;
    std::map<std::string, const NginxDirective*> upstreams;  // by name
    std::map<std::string, std::uint64_t> listen_idle_ms;      // port -> keepalive_timeout of the server listening there

    KeepaliveSettings fix_values() const { return audit_detail::recommended_keepalive(context.path); }

    void add(std::string rule, Severity s, const SourcePosition& at, std::string evidence, std::string fix,
             std::string syntax = "nginx") {
        report.findings.push_back({std::move(rule), s, at, std::move(evidence), std::move(syntax), std::move(fix)});
    }

    EffectiveKeepalive listen_keepalive(const NginxDirective& listen) {
        EffectiveKeepalive k;
        k.source = "off";
        for (const auto& a : listen.args) {
            if (a.rfind("so_keepalive=", 0) != 0) continue;
            auto parsed = parse_nginx_so_keepalive(std::string_view(a).substr(13));
            if (!parsed || !parsed->enabled) continue;
            const auto& ns = context.netns;
            k.enabled = true;
            k.idle_seconds = static_cast<std::uint32_t>(parsed->idle_seconds.value_or(ns.idle_seconds));
            k.interval_seconds = static_cast<std::uint32_t>(parsed->interval_seconds.value_or(ns.interval_seconds));
            k.count = static_cast<std::uint32_t>(parsed->count.value_or(ns.count));
            const int own = int{parsed->idle_seconds.has_value()} + int{parsed->interval_seconds.has_value()} +
                            int{parsed->count.has_value()};
            k.source = own == 3 ? "explicit" : own == 0 ? "netns, " + ns.source : "explicit + netns";
        }
        return k;
    }

    // A1, A2 on one listen line.
    void check_listen(const NginxDirective& listen) {
        bool quic = false;
        const std::string* so = nullptr;
        for (const auto& a : listen.args) {
            if (a == "quic") quic = true;
            if (a.rfind("so_keepalive=", 0) == 0) so = &a;
        }
        if (!so) return;
        const auto value = std::string_view(*so).substr(13);
        if (quic)
            add("A2", Severity::high, listen.at,
                "so_keepalive on a quic listen line: nginx refuses it (\"so_keepalive\" parameter is incompatible "
                "with \"quic\")",
                "# a separate TCP listen line carries so_keepalive; quic is UDP\n" + so_keepalive_fix(listen, fix_values()));
        auto parsed = parse_nginx_so_keepalive(value);
        if (!parsed) {
            add("A1", Severity::high, listen.at, "nginx -t refuses this listen line: " + parsed.error().why,
                so_keepalive_fix(listen, fix_values()));
            return;
        }
        std::string bad;
        if (parsed->idle_seconds && *parsed->idle_seconds > k_keepalive_seconds_max)
            bad = "idle " + std::to_string(*parsed->idle_seconds) + " s is above the kernel's 32767";
        else if (parsed->interval_seconds && *parsed->interval_seconds > k_keepalive_seconds_max)
            bad = "interval " + std::to_string(*parsed->interval_seconds) + " s is above the kernel's 32767";
        else if (parsed->count && *parsed->count > k_keepalive_count_max)
            bad = "count " + std::to_string(*parsed->count) + " is above the kernel's 127";
        if (!bad.empty())
            add("A1", Severity::high, listen.at,
                "so_keepalive=" + std::string(value) + ": " + bad +
                    "; nginx -t passes, but setsockopt fails at startup and nginx only logs \"failed, ignored\"",
                so_keepalive_fix(listen, fix_values()));
    }

    // A6 wherever keepalive_requests is written.
    void check_requests(const Block& b, std::string_view where) {
        const auto* d = find_in(b, "keepalive_requests");
        if (!d || d->args.size() != 1) return;
        std::uint64_t n = 0;
        for (char c : d->args[0]) {
            if (c < '0' || c > '9') return;
            n = n * 10 + static_cast<std::uint64_t>(c - '0');
            if (n > 1000000) break;
        }
        if (n < 1000)
            add("A6", Severity::medium, d->at,
                "keepalive_requests " + d->args[0] + " in " + std::string(where) +
                    " closes each connection after that many requests: about one new connection and one TIME_WAIT "
                    "per " + d->args[0] + " requests (the default is 1000 since 1.19.10)",
                "keepalive_requests 1000;\n");
    }

    void collect_upstreams(const Block& http) {
        for (const auto& d : http)
            if (d.name == "upstream" && d.has_block && !d.args.empty()) upstreams[d.args[0]] = &d;
    }

    void audit_upstream(const NginxDirective& u) {
        AuditedObject o;
        o.kind = "nginx upstream";
        o.name = u.args[0];
        o.at = u.at;
        o.side = Side::upstream;
        const auto* keepalive = find_in(u.block, "keepalive");
        const auto* timeout = find_in(u.block, "keepalive_timeout");
        const auto* requests = find_in(u.block, "keepalive_requests");
        o.settings.push_back({"keepalive", keepalive ? first_arg(keepalive)
                                                     : "unset (no pool before 1.29.7; 32 local from 1.29.7)"});
        o.settings.push_back({"keepalive_timeout", timeout ? first_arg(timeout) : "60s (default)"});
        o.settings.push_back({"keepalive_requests", requests ? first_arg(requests) : "1000 (default)"});
        o.tcp.source = "off unless proxy_socket_keepalive is on where it is used";
        report.objects.push_back(std::move(o));
        check_requests(u.block, "upstream " + u.args[0]);

        if (!keepalive) {
            add("A5", Severity::high, u.at,
                "upstream " + u.args[0] +
                    " has no keepalive: before nginx 1.29.7 every request opens a new connection (and leaves a "
                    "TIME_WAIT); 1.29.7 and later keep 32 idle connections per worker, local to each location",
                "upstream " + u.args[0] + " {\n    # keep your server lines\n    keepalive 32;\n}\n");
        } else if (first_arg(keepalive) == "0") {
            add("A5", Severity::medium, keepalive->at,
                "keepalive 0 turns the connection pool of upstream " + u.args[0] +
                    " off: one new connection and one TIME_WAIT per request",
                "keepalive 32;\n");
        }

        // A7: the pool's idle timer against an audited nginx server behind it.
        const std::uint64_t pool_idle =
            timeout ? parse_nginx_time_ms(first_arg(timeout), false).value_or(60000) : 60000;
        for (const auto& s : u.block) {
            if (s.name != "server" || s.args.empty()) continue;
            const auto it = listen_idle_ms.find(port_of(s.args[0]));
            if (it == listen_idle_ms.end() || pool_idle < it->second) continue;
            add("A7", Severity::medium, timeout ? timeout->at : u.at,
                "upstream " + u.args[0] + " keeps idle connections " + seconds_text(pool_idle) +
                    ", not less than the " + seconds_text(it->second) + " keepalive_timeout of the server on port " +
                    it->first + ": nginx can send a request on a connection the backend is closing (\"upstream "
                    "prematurely closed\")",
                "upstream " + u.args[0] + " {\n    keepalive_timeout " +
                    std::to_string(std::max<std::uint64_t>(it->second / 1000, 2) - 1) + "s;\n}\n");
            break;
        }
    }

    // A3 where proxy_socket_keepalive (or fastcgi_, grpc_, memcached_, scgi_, uwsgi_) is on.
    void check_socket_keepalive(const Block& b) {
        for (const auto& d : b) {
            if (!d.name.ends_with("_socket_keepalive") || first_arg(&d) != "on") continue;
            const auto& ns = context.netns;
            add("A3", Severity::info, d.at,
                d.name + " on only sets SO_KEEPALIVE: upstream connections probe after " +
                    std::to_string(ns.idle_seconds) + " s idle, every " + std::to_string(ns.interval_seconds) +
                    " s, " + std::to_string(ns.count) + " times (" + ns.source + ")",
                audit_detail::sysctl_fix(fix_values()), "sysctl");
        }
    }

    // A4, A5 on a location's proxy_pass.
    void check_proxy(const Chain& chain, const NginxDirective& location) {
        const auto* pass = find_in(location.block, "proxy_pass");
        if (!pass || pass->args.empty()) return;
        const auto& url = pass->args[0];
        if (url.find('$') != std::string::npos) return;  // resolved per request
        const auto host = proxy_pass_host(url);
        if (host.empty()) return;
        const auto up = upstreams.find(host);
        if (up == upstreams.end()) {
            std::string name = "backend";
            for (char c : host) name += (std::isalnum(static_cast<unsigned char>(c)) ? c : '_');
            add("A4", Severity::high, pass->at,
                "proxy_pass " + url +
                    " names no upstream block, so nginx makes an implicit upstream that never pools: one new "
                    "connection and one TIME_WAIT per request",
                "upstream " + name + " {\n    server " + host + ";\n    keepalive 32;\n}\n# in this location:\n" +
                    "proxy_pass " + url.substr(0, url.find("://") + 3) + name +
                    url.substr(url.find("://") + 3 + host.size()) +
                    ";\nproxy_http_version 1.1;\nproxy_set_header Connection \"\";\n");
            return;
        }
        Chain full = chain;
        full.push_back(&location.block);
        std::vector<std::string> problems;
        const auto* version = inherited(full, "proxy_http_version");
        if (!version)
            problems.push_back("proxy_http_version is unset (HTTP/1.0 before nginx 1.29.7, so no reuse)");
        else if (first_arg(version) == "1.0")
            problems.push_back("proxy_http_version 1.0 closes every upstream connection");
        const auto connection = header_in_effect(full, "Connection");
        if (!connection || !*connection) {
            problems.push_back("Connection is not set to \"\" (nginx before 1.29.7 sends Connection: close)");
        } else {
            const auto& v = (**connection).args[1];
            if (!v.empty() && v != "keep-alive")
                problems.push_back("proxy_set_header Connection \"" + v +
                                   "\" can ask the backend to close after each response in every version");
        }
        if (problems.empty()) return;
        std::string evidence = "proxy_pass to upstream " + host + ": ";
        for (std::size_t i = 0; i < problems.size(); ++i) evidence += (i ? "; " : "") + problems[i];
        add("A5", Severity::high, pass->at, evidence,
            "proxy_http_version 1.1;\nproxy_set_header Connection \"\";\n");
    }

    void walk_locations(Chain& chain, const Block& b) {
        for (const auto& d : b) {
            if (d.name != "location" || !d.has_block) continue;
            check_socket_keepalive(d.block);
            check_proxy(chain, d);
            check_requests(d.block, "location " + first_arg(&d));
            chain.push_back(&d.block);
            walk_locations(chain, d.block);
            chain.pop_back();
        }
    }

    std::string server_name(const NginxDirective& server) {
        if (const auto* n = find_in(server.block, "server_name"); n && !n->args.empty()) return n->args[0];
        if (const auto* l = find_in(server.block, "listen"); l && !l->args.empty()) return "listen " + l->args[0];
        return "server";
    }

    // A server's listen lines, each checked. Each listen is its own socket with its own
    // keepalive (dual-stack `listen 80; listen [::]:80;` is two), so each is its own object.
    std::vector<const NginxDirective*> server_listens(const NginxDirective& server) {
        std::vector<const NginxDirective*> listens;
        for (const auto& d : server.block)
            if (d.name == "listen") {
                check_listen(d);
                listens.push_back(&d);
            }
        return listens;
    }

    // The server's objects, one per listen (named after it where there are several), each
    // judged with its idle timeout (`directive`) against the path in front of it.
    void add_server_objects(AuditedObject base, const NginxDirective& server, std::optional<std::uint64_t> idle_ms,
                            const std::string& directive, const char* default_port) {
        const auto listens = server_listens(server);
        const auto* named = find_in(server.block, "server_name");
        const std::string host = named && !named->args.empty() ? named->args[0] + " " : "";
        auto judge = [&](AuditedObject o, const NginxDirective* listen) {
            if (idle_ms && !context.path.empty()) {
                const std::string listen_line = listen ? so_keepalive_fix(*listen, fix_values())
                                                       : "listen " + std::string(default_port) + " so_keepalive=60:10:6;\n";
                audit_detail::check_path(
                    o, idle_ms, directive, context.path, "nginx",
                    [&](std::uint64_t sec) { return directive + " " + std::to_string(sec) + "s;\n"; }, listen_line,
                    report.findings);
            }
            report.objects.push_back(std::move(o));
        };
        base.name = server_name(server);
        base.at = server.at;
        if (listens.empty()) {
            base.tcp = EffectiveKeepalive{false, 0, 0, 0, {}, "off"};
            judge(std::move(base), nullptr);
            return;
        }
        for (const auto* l : listens) {
            AuditedObject o = base;
            if (listens.size() > 1) {
                o.name = host + "listen " + (l->args.empty() ? std::string("*:80") : l->args[0]);
                o.at = l->at;
            }
            o.tcp = listen_keepalive(*l);
            judge(std::move(o), l);
        }
    }

    void audit_http_server(const Block& http, const NginxDirective& server) {
        Chain chain{&http, &server.block};
        AuditedObject o;
        o.kind = "nginx server";
        const auto* timeout = inherited(chain, "keepalive_timeout");
        auto idle_ms = timeout ? parse_nginx_time_ms(first_arg(timeout), false) : std::optional<std::uint64_t>(75000);
        const auto* requests = inherited(chain, "keepalive_requests");
        const auto* time = inherited(chain, "keepalive_time");
        o.settings.push_back({"keepalive_timeout", timeout ? first_arg(timeout) : "75s (default)"});
        o.settings.push_back({"keepalive_requests", requests ? first_arg(requests) : "1000 (default)"});
        o.settings.push_back({"keepalive_time", time ? first_arg(time) : "1h (default)"});
        check_requests(server.block, "server " + server_name(server));
        check_socket_keepalive(server.block);
        // keepalive_timeout 0 turns keepalive off: no connection is left idle to judge.
        if (idle_ms == 0u) idle_ms.reset();
        add_server_objects(std::move(o), server, idle_ms, "keepalive_timeout", "80");
        walk_locations(chain, server.block);
    }

    void audit_stream_server(const NginxDirective& server) {
        AuditedObject o;
        o.kind = "nginx stream server";
        const auto* timeout = find_in(server.block, "proxy_timeout");
        const auto idle_ms = timeout ? parse_nginx_time_ms(first_arg(timeout), false) : std::optional<std::uint64_t>(600000);
        o.settings.push_back({"proxy_timeout", timeout ? first_arg(timeout) : "10m (default)"});
        if (const auto* ka = find_in(server.block, "proxy_socket_keepalive"))
            o.settings.push_back({"proxy_socket_keepalive", first_arg(ka)});
        check_socket_keepalive(server.block);
        add_server_objects(std::move(o), server, idle_ms, "proxy_timeout", "5432");
    }

    void run(const NginxConfig& config) {
        for (const auto& top : config.top) {
            if (top.name == "http" && top.has_block) {
                collect_upstreams(top.block);
                for (const auto& d : top.block)
                    if (d.name == "server" && d.has_block) {
                        const Chain chain{&top.block, &d.block};
                        const auto* t = inherited(chain, "keepalive_timeout");
                        const auto ms = t ? parse_nginx_time_ms(first_arg(t), false) : std::optional<std::uint64_t>(75000);
                        for (const auto& l : d.block)
                            if (l.name == "listen" && !l.args.empty() && ms) listen_idle_ms[port_of(l.args[0])] = *ms;
                    }
            }
        }
        for (const auto& top : config.top) {
            if (!top.has_block) continue;
            if (top.name == "http") {
                check_requests(top.block, "http");
                check_socket_keepalive(top.block);
                for (const auto& d : top.block) {
                    if (d.name == "server" && d.has_block) audit_http_server(top.block, d);
                    if (d.name == "upstream" && d.has_block && !d.args.empty()) audit_upstream(d);
                }
            } else if (top.name == "stream") {
                for (const auto& d : top.block)
                    if (d.name == "server" && d.has_block) audit_stream_server(d);
            }
        }
    }
};

}  // namespace

AuditReport audit_nginx(const NginxConfig& config, const AuditContext& context) {
    NginxAudit a{context, {}, {}, {}};
    a.report.type = ConfigType::nginx;
    a.report.files = config.files;
    a.report.netns = context.netns;
    for (const auto& h : config.host_includes)
        a.report.notes.push_back(h.file + " (include at " + h.included_at.file_line() +
                                 ") was read from this host: an absolute path outside the audited file's "
                                 "directory, so it is this machine's file, not necessarily the configuration's own");
    // A conf.d or sites-enabled file holds what Debian's nginx.conf includes inside http {}: a
    // top-level server, upstream or map, and no main-context block of its own.
    bool main_context = false, http_directives = false;
    for (const auto& d : config.top) {
        if (d.name == "http" || d.name == "events" || d.name == "stream" || d.name == "mail") main_context = true;
        if (d.name == "server" || d.name == "upstream" || d.name == "map" || d.name.starts_with("keepalive_"))
            http_directives = true;
    }
    if (!main_context && http_directives) {
        NginxConfig wrapped;
        wrapped.files = config.files;
        NginxDirective http;
        http.name = "http";
        http.has_block = true;
        http.at = config.top.front().at;
        http.block = config.top;
        wrapped.top.push_back(std::move(http));
        a.report.notes.push_back("read as the http {} context it is included in (a conf.d or sites-enabled "
                                 "fragment: server, upstream or map at its top level)");
        a.run(wrapped);
        return a.report;
    }
    a.run(config);
    return a.report;
}

}  // namespace kt
