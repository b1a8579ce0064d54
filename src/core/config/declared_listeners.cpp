#include "core/config/declared_listeners.hpp"

#include <algorithm>
#include <map>

#include "core/config/nginx_values.hpp"
#include "core/socket/ip_text.hpp"
#include "core/text/number_parse.hpp"

namespace kt {

namespace {

std::optional<std::uint16_t> port_number(std::string_view text) {
    auto n = parse_whole_number(text, 1, 65535);
    if (!n) return std::nullopt;
    return static_cast<std::uint16_t>(*n);
}

IpAddress any_address(std::uint8_t family) {
    IpAddress a;
    a.family = family;
    return a;
}

// An nginx listen address (ngx_parse_url): "443", "*:443", "127.0.0.1", "1.2.3.4:80", "[::]:443",
// "localhost:80". Nothing for unix: sockets and host names other than localhost, which only a
// resolver could place.
std::optional<std::pair<IpAddress, std::uint16_t>> nginx_address(std::string_view text) {
    if (text.starts_with("unix:")) return std::nullopt;
    std::string_view host = text;
    std::uint16_t port = 80;
    if (text.starts_with('[')) {
        const auto close = text.find(']');
        if (close == std::string_view::npos) return std::nullopt;
        host = text.substr(1, close - 1);
        if (close + 1 < text.size()) {
            if (text[close + 1] != ':') return std::nullopt;
            auto p = port_number(text.substr(close + 2));
            if (!p) return std::nullopt;
            port = *p;
        }
        auto ip = parse_ip_address(host);
        if (!ip) return std::nullopt;
        return std::pair{*ip, port};
    }
    if (const auto colon = text.rfind(':'); colon != std::string_view::npos) {
        auto p = port_number(text.substr(colon + 1));
        if (!p) return std::nullopt;
        port = *p;
        host = text.substr(0, colon);
    } else if (auto p = port_number(text)) {
        return std::pair{any_address(k_family_inet), *p};
    }
    if (host == "*") return std::pair{any_address(k_family_inet), port};
    if (host == "localhost") return std::pair{*parse_ip_address("127.0.0.1"), port};
    auto ip = parse_ip_address(host);
    if (!ip) return std::nullopt;
    return std::pair{*ip, port};
}

void nginx_server(const NginxDirective& server, const std::string& kind, std::vector<DeclaredListener>& out) {
    std::string name;
    for (const auto& d : server.block)
        if (d.name == "server_name" && !d.args.empty()) name = d.args[0];
    bool any_listen = false;
    for (const auto& d : server.block) {
        if (d.name != "listen" || d.args.empty()) continue;
        any_listen = true;
        // UDP listeners have no TCP keepalive.
        if (std::find_if(d.args.begin(), d.args.end(), [](const std::string& a) { return a == "udp" || a == "quic"; }) !=
            d.args.end())
            continue;
        auto addr = nginx_address(d.args[0]);
        if (!addr) continue;
        DeclaredListener l;
        l.object = kind + " " + (name.empty() ? "listen " + d.args[0] : name);
        l.address = d.args[0];
        l.ip = addr->first;
        l.port = addr->second;
        l.at = d.at;
        for (const auto& a : d.args) {
            if (!a.starts_with("so_keepalive=")) continue;
            auto k = parse_nginx_so_keepalive(std::string_view(a).substr(13));
            if (!k) continue;  // A1 says so; nginx would not have started with it
            l.declared_text = a;
            l.on_listener.keepalive = k->enabled;
            auto seconds = [](std::optional<std::uint64_t> v) -> std::optional<std::uint32_t> {
                if (!v) return std::nullopt;
                return static_cast<std::uint32_t>(std::min<std::uint64_t>(*v, UINT32_MAX));
            };
            l.on_listener.idle_seconds = seconds(k->idle_seconds);
            l.on_listener.interval_seconds = seconds(k->interval_seconds);
            l.on_listener.count = seconds(k->count);
        }
        out.push_back(std::move(l));
    }
    if (!any_listen) {
        DeclaredListener l;
        l.object = kind + " " + (name.empty() ? "server" : name) + " (no listen line: nginx's default *:80)";
        l.address = "*:80";
        l.ip = any_address(k_family_inet);
        l.port = 80;
        l.at = server.at;
        out.push_back(std::move(l));
    }
}

// HAProxy times for clitcpka-idle/-intvl: seconds by default, rounded up to whole seconds.
std::optional<std::uint32_t> haproxy_seconds(std::string_view text) {
    std::size_t digits = 0;
    while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
    auto n = parse_whole_number(text.substr(0, digits), 0, 4000000000ULL);
    if (!n) return std::nullopt;
    const auto unit = text.substr(digits);
    std::uint64_t us = 1000000;
    if (unit == "us") us = 1;
    else if (unit == "ms") us = 1000;
    else if (unit == "m") us = 60000000;
    else if (unit == "h") us = 3600000000ULL;
    else if (unit == "d") us = 86400000000ULL;
    else if (!unit.empty() && unit != "s") return std::nullopt;
    if (*n > UINT64_MAX / us) return std::nullopt;
    return static_cast<std::uint32_t>(std::min<std::uint64_t>((*n * us + 999999) / 1000000, UINT32_MAX));
}

// tcp-ut: milliseconds by default.
std::optional<std::uint32_t> haproxy_ms(std::string_view text) {
    std::size_t digits = 0;
    while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
    auto n = parse_whole_number(text.substr(0, digits), 0, 4000000000ULL);
    if (!n) return std::nullopt;
    const auto unit = text.substr(digits);
    std::uint64_t ms = 1;
    if (unit == "s") ms = 1000;
    else if (unit == "m") ms = 60000;
    else if (unit == "h") ms = 3600000;
    else if (!unit.empty() && unit != "ms") return std::nullopt;
    return static_cast<std::uint32_t>(std::min<std::uint64_t>(*n * ms, UINT32_MAX));
}

// The client side of a proxy as its lines (after its defaults) leave it.
struct ClientSide {
    std::optional<bool> option;  // option clitcpka / tcpka, or `no option ...`
    std::string option_name;     // the one that decided, as written
    std::map<std::string, std::string> values;  // clitcpka-idle, -intvl, -cnt
    void apply(const HaproxyLine& l) {
        const auto& w = l.words;
        const bool no = w[0] == "no";
        const std::size_t o = no ? 1 : 0;
        if (w.size() >= o + 2 && w[o] == "option" && (w[o + 1] == "clitcpka" || w[o + 1] == "tcpka")) {
            option = !no;
            option_name = w[o + 1];
        }
        if (!no && w.size() >= 2 && w[0].starts_with("clitcpka-")) values[w[0]] = w[1];
    }
};

// Addresses of one bind line: "a:1,b:2", "ipv6@:::443", ":8000-8003"; not unix@, abns@, fd@ or paths.
void haproxy_bind_addresses(std::string_view list, std::vector<std::pair<IpAddress, std::uint16_t>>& out) {
    while (!list.empty()) {
        const auto comma = list.find(',');
        std::string_view a = list.substr(0, comma);
        list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
        std::uint8_t family = k_family_inet;
        if (const auto at = a.find('@'); at != std::string_view::npos) {
            const auto proto = a.substr(0, at);
            if (proto == "ipv6" || proto == "tcp6") family = k_family_inet6;
            else if (proto != "ipv4" && proto != "tcp4" && proto != "tcp") continue;
            a = a.substr(at + 1);
        }
        if (a.starts_with('/')) continue;
        std::string_view host, ports;
        if (a.starts_with('[')) {
            const auto close = a.find("]:");
            if (close == std::string_view::npos) continue;
            host = a.substr(1, close - 1);
            ports = a.substr(close + 2);
        } else {
            const auto colon = a.rfind(':');
            if (colon == std::string_view::npos) continue;
            host = a.substr(0, colon);
            ports = a.substr(colon + 1);
        }
        IpAddress ip = any_address(host.find(':') != std::string_view::npos ? k_family_inet6 : family);
        if (!host.empty() && host != "*") {
            auto parsed = parse_ip_address(host);
            if (!parsed) continue;
            ip = *parsed;
        }
        const auto dash = ports.find('-');
        auto first = port_number(ports.substr(0, dash));
        auto last = dash == std::string_view::npos ? first : port_number(ports.substr(dash + 1));
        if (!first || !last || *last < *first || *last - *first >= 64) continue;
        for (std::uint32_t p = *first; p <= *last; ++p) out.emplace_back(ip, static_cast<std::uint16_t>(p));
    }
}

}  // namespace

std::vector<DeclaredListener> nginx_declared_listeners(const NginxConfig& config) {
    std::vector<DeclaredListener> all;
    for (const auto& top : config.top) {
        if (!top.has_block || (top.name != "http" && top.name != "stream")) continue;
        for (const auto& d : top.block)
            if (d.name == "server" && d.has_block)
                nginx_server(d, top.name == "http" ? "nginx server" : "nginx stream server", all);
    }
    // One listening socket per address: the listen line that sets options describes it.
    std::vector<DeclaredListener> out;
    for (auto& l : all) {
        auto same = std::find_if(out.begin(), out.end(),
                                 [&](const DeclaredListener& o) { return o.ip == l.ip && o.port == l.port; });
        if (same == out.end())
            out.push_back(std::move(l));
        else if (!same->on_listener.any() && l.on_listener.any())
            *same = std::move(l);
    }
    return out;
}

std::vector<DeclaredListener> haproxy_declared_listeners(const HaproxyConfig& config) {
    std::vector<DeclaredListener> out;
    std::map<std::string, ClientSide> named;
    ClientSide last;
    for (const auto& sec : config.sections) {
        if (sec.kind == "defaults") {
            ClientSide s = sec.from.empty() ? ClientSide{} : named[sec.from];
            for (const auto& l : sec.lines) s.apply(l);
            if (!sec.name.empty()) named[sec.name] = s;
            last = s;
            continue;
        }
        if (sec.kind != "frontend" && sec.kind != "listen") continue;
        ClientSide s = sec.from.empty() ? last : named[sec.from];
        for (const auto& l : sec.lines) s.apply(l);
        DeclaredKeepalive accept;
        std::string text;
        // HAProxy sets clitcpka-* on accepted connections only when the option is on (session.c).
        if (s.option && *s.option) {
            accept.keepalive = true;
            text = "option " + s.option_name;
            const std::pair<const char*, std::optional<std::uint32_t>*> fields[] = {
                {"clitcpka-idle", &accept.idle_seconds},
                {"clitcpka-intvl", &accept.interval_seconds},
                {"clitcpka-cnt", &accept.count}};
            for (const auto& [key, into] : fields) {
                auto it = s.values.find(key);
                if (it == s.values.end()) continue;
                if (std::string_view(key) != "clitcpka-cnt") {
                    *into = haproxy_seconds(it->second);
                } else if (auto n = parse_whole_number(it->second, 1, 127)) {
                    *into = static_cast<std::uint32_t>(*n);
                }
                if (*into) text += std::string(", ") + key + " " + it->second;
            }
        }
        for (const auto& l : sec.lines) {
            if (l.words.size() < 2 || l.words[0] != "bind") continue;
            std::vector<std::pair<IpAddress, std::uint16_t>> addresses;
            haproxy_bind_addresses(l.words[1], addresses);
            DeclaredKeepalive listener;
            std::string bind_text = text;
            for (std::size_t i = 2; i + 1 < l.words.size(); ++i)
                if (l.words[i] == "tcp-ut")
                    if ((listener.user_timeout_ms = haproxy_ms(l.words[i + 1])))
                        bind_text += std::string(bind_text.empty() ? "" : ", ") + "tcp-ut " + l.words[i + 1];
            for (const auto& [ip, port] : addresses) {
                DeclaredListener d;
                d.object = "haproxy " + sec.kind + " " + sec.name;
                d.address = l.words[1];
                d.ip = ip;
                d.port = port;
                d.at = l.at;
                d.declared_text = bind_text;
                d.on_listener = listener;
                d.on_accept = accept;
                out.push_back(std::move(d));
            }
        }
    }
    return out;
}

}  // namespace kt
