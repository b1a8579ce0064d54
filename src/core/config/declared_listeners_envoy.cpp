// The listeners of an Envoy configuration with the keepalive Envoy puts on each listening socket:
// raw socket_options (SOL_SOCKET/SO_KEEPALIVE, IPPROTO_TCP/TCP_KEEPIDLE, _KEEPINTVL, _KEEPCNT,
// TCP_USER_TIMEOUT, in every state: each lands on the listening socket), and from 1.37 the typed
// tcp_keepalive (SO_KEEPALIVE on, then the fields that are set; a field at 0 turns it off).
#include "core/config/declared_listeners.hpp"

#include "core/config/envoy_fields.hpp"
#include "core/socket/ip_text.hpp"
#include "core/text/number_parse.hpp"

namespace kt {

namespace {

std::optional<std::uint32_t> seconds_of(const std::optional<std::int64_t>& v) {
    if (!v || *v < 0 || *v > 0xffffffffLL) return std::nullopt;
    return static_cast<std::uint32_t>(*v);
}

void add_text(std::string& text, const std::string& part) { text += (text.empty() ? "" : ", ") + part; }

// What the socket_options list puts on the listening socket, with the text that declares it.
void from_socket_options(const YamlNode& list, DeclaredKeepalive& d, std::string& text) {
    for (const auto& o : envoy_fields::read_socket_options(list)) {
        if (!envoy_fields::is_keepalive_option(o) || !o.int_value) continue;
        const auto v = seconds_of(o.int_value);
        add_text(text, std::to_string(*o.level) + "/" + std::to_string(*o.name) + "=" + std::to_string(*o.int_value));
        if (*o.level == 1) d.keepalive = *o.int_value != 0;
        if (*o.level != 6 || !v) continue;
        if (*o.name == 4) d.idle_seconds = v;
        if (*o.name == 5) d.interval_seconds = v;
        if (*o.name == 6) d.count = v;
        if (*o.name == 18) d.user_timeout_ms = v;
    }
}

void from_typed(const YamlNode& message, DeclaredKeepalive& d, std::string& text) {
    const auto t = envoy_fields::read_tcp_keepalive(message);
    d.keepalive = true;
    std::string fields;
    for (const auto& [name, value, into] :
         {std::tuple{"keepalive_time", t.time, &d.idle_seconds}, std::tuple{"keepalive_interval", t.interval, &d.interval_seconds},
          std::tuple{"keepalive_probes", t.probes, &d.count}}) {
        if (!value) continue;
        add_text(fields, std::string(name) + ": " + std::to_string(*value));
        if (*value == 0)
            d.keepalive = false;  // 1.37: "Setting this to 0 disables TCP keepalive"
        else
            *into = seconds_of(value);
    }
    add_text(text, "tcp_keepalive {" + fields + "}");
}

}  // namespace

std::vector<DeclaredListener> envoy_declared_listeners(const EnvoyConfig& config, bool typed_keepalive_works) {
    std::vector<DeclaredListener> out;
    for (const YamlNode* l : config.listeners) {
        const YamlNode* socket = l->path({"address", "socket_address"});
        if (!socket) continue;  // a pipe or an internal listener: no TCP socket
        const YamlNode* address = socket->get("address");
        const YamlNode* port_node = socket->get("port_value");
        if (!address || !address->is_scalar() || !port_node || !port_node->is_scalar()) continue;
        auto ip = parse_ip_address(address->scalar);
        auto port = parse_whole_number(port_node->scalar, 1, 65535);
        if (!ip || !port) continue;
        DeclaredListener d;
        const YamlNode* name = l->get("name");
        d.object = "envoy listener " + (name && name->is_scalar() ? name->scalar : std::string("(unnamed)"));
        d.ip = *ip;
        d.port = static_cast<std::uint16_t>(*port);
        d.address = (ip->family == k_family_inet6 ? "[" + address->scalar + "]" : address->scalar) + ":" +
                    std::to_string(*port);
        d.at = l->at;
        if (const YamlNode* options = l->get("socket_options")) from_socket_options(*options, d.on_listener, d.declared_text);
        // Before 1.37 the field is unknown: a static bootstrap with it does not start (A14).
        if (const YamlNode* typed = l->get("tcp_keepalive"); typed && typed->is_mapping() && typed_keepalive_works)
            from_typed(*typed, d.on_listener, d.declared_text);
        out.push_back(std::move(d));
    }
    return out;
}

}  // namespace kt
