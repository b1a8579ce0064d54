// The listeners a configuration declares, with the keepalive it asks for on each: nginx `listen`
// (so_keepalive), HAProxy `bind` (clitcpka-*, tcp-ut) and Envoy listeners (socket_options,
// tcp_keepalive), for comparing with the listening sockets of the running proxy.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/config/config_source.hpp"
#include "core/config/envoy_config.hpp"
#include "core/config/haproxy_config.hpp"
#include "core/config/nginx_config.hpp"
#include "core/socket/socket_record.hpp"

namespace kt {

// Options a proxy sets; nothing where it leaves the socket's value alone.
struct DeclaredKeepalive {
    std::optional<bool> keepalive;
    std::optional<std::uint32_t> idle_seconds;
    std::optional<std::uint32_t> interval_seconds;
    std::optional<std::uint32_t> count;
    std::optional<std::uint32_t> user_timeout_ms;
    bool any() const { return keepalive || idle_seconds || interval_seconds || count || user_timeout_ms; }
};

struct DeclaredListener {
    std::string object;   // "nginx server example.com", "haproxy frontend fe"
    std::string address;  // as written: "443", "[::]:443", "127.0.0.1:8080", ":80"
    IpAddress ip;  // 0.0.0.0 for a bare port or "*", :: for "[::]"
    std::uint16_t port = 0;
    SourcePosition at;
    std::string declared_text;  // "so_keepalive=60:20:2", "option clitcpka, clitcpka-idle 60s", "" for nothing
    // What the proxy puts on the listening socket itself, at start and (nginx) at every reload.
    DeclaredKeepalive on_listener;
    // What it puts on each connection it accepts instead (HAProxy clitcpka-*): it overrides what
    // the connection inherited from the listener.
    DeclaredKeepalive on_accept;
};

// Every TCP `listen` of http {} and stream {} servers, one per address:port (nginx opens one
// socket per address; the line with so_keepalive wins). A server without listen is "*:80".
std::vector<DeclaredListener> nginx_declared_listeners(const NginxConfig& config);

// Every TCP `bind` address of frontend and listen sections (comma lists and port ranges of up
// to 64 ports expanded), with the client-side keepalive those sections get after their defaults.
std::vector<DeclaredListener> haproxy_declared_listeners(const HaproxyConfig& config);

// Every listener on a TCP socket_address, with what its socket_options and (where
// `typed_keepalive_works`: Envoy 1.37 and later) its tcp_keepalive put on the listening socket.
std::vector<DeclaredListener> envoy_declared_listeners(const EnvoyConfig& config, bool typed_keepalive_works);

}  // namespace kt
