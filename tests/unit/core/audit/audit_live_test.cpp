// Declared listeners against the listening sockets of the running proxy (rules L1-L3), on values.
#include "core/audit/audit_live.hpp"

#include <gtest/gtest.h>

#include "core/socket/ip_text.hpp"

namespace kt {
namespace {

NginxConfig nginx(std::string_view text) {
    auto c = parse_nginx_config(text, "nginx.conf", nullptr);
    EXPECT_TRUE(c.has_value()) << (c ? "" : c.error().line());
    return c ? *c : NginxConfig{};
}

HaproxyConfig haproxy(std::string_view text) {
    auto c = parse_haproxy_config(text, "haproxy.cfg");
    EXPECT_TRUE(c.has_value()) << (c ? "" : c.error().line());
    return c ? *c : HaproxyConfig{};
}

ObservedListener listening(std::string_view ip, std::uint16_t port, SocketOptions o, std::uint32_t inode = 1) {
    ObservedListener s;
    s.local.address = *parse_ip_address(ip);
    s.local.port = port;
    s.inode = inode;
    s.pid = 100;
    s.fd = 6;
    s.options = o;
    return s;
}

const SocketOptions k_untouched{false, 7200, 75, 9, 0};

LiveAudit check(ProxyKind kind, const std::vector<DeclaredListener>& declared, const std::vector<ObservedListener>& s) {
    LiveProcess p;
    p.pid = 100;
    p.kind = kind;
    p.netns = "host";
    return check_live_listeners(p, declared, s, NetnsKeepalive{});
}

std::vector<std::string> rules(const LiveAudit& a) {
    std::vector<std::string> out;
    for (const auto& f : a.findings) out.push_back(f.rule + "@" + std::to_string(f.at.line));
    return out;
}

constexpr std::string_view k_nginx = R"(http {
    server {
        listen 443 so_keepalive=60:20:2;
        listen [::]:8443;
        server_name a.example;
    }
    server {
        listen 127.0.0.1:8080;
    }
}
stream {
    server { listen 127.0.0.1:5432 so_keepalive=off; }
}
)";

TEST(DeclaredListenersTest, NginxListenLinesGiveAddressPortAndSoKeepalive) {
    const auto d = nginx_declared_listeners(nginx(k_nginx));
    ASSERT_EQ(d.size(), 4u);
    EXPECT_EQ(d[0].port, 443);
    EXPECT_TRUE(d[0].ip.is_unspecified());
    EXPECT_EQ(d[0].ip.family, k_family_inet);
    EXPECT_EQ(d[0].declared_text, "so_keepalive=60:20:2");
    EXPECT_EQ(d[0].on_listener.idle_seconds, 60u);
    EXPECT_EQ(d[0].on_listener.count, 2u);
    EXPECT_EQ(d[0].at.line, 3u);
    EXPECT_EQ(d[0].object, "nginx server a.example");
    EXPECT_EQ(d[1].ip.family, k_family_inet6);
    EXPECT_FALSE(d[1].on_listener.any());
    EXPECT_EQ(ip_string(d[2].ip), "127.0.0.1");
    EXPECT_EQ(d[3].object, "nginx stream server listen 127.0.0.1:5432");
    EXPECT_EQ(d[3].on_listener.keepalive, false);
}

TEST(DeclaredListenersTest, AServerWithoutListenIsNginxsDefaultPort80AndUnixOrUdpListenersAreLeftOut) {
    const auto d = nginx_declared_listeners(
        nginx("http { server { server_name d.example; } server { listen unix:/run/a.sock; listen 53 udp; } }"));
    ASSERT_EQ(d.size(), 1u);
    EXPECT_EQ(d[0].address, "*:80");
    EXPECT_EQ(d[0].port, 80);
    EXPECT_EQ(d[0].object, "nginx server d.example (no listen line: nginx's default *:80)");
}

TEST(DeclaredListenersTest, HaproxyBindsCarryTheFrontendsClitcpkaAfterDefaults) {
    const auto d = haproxy_declared_listeners(haproxy(R"(defaults
    mode tcp
    option clitcpka
    clitcpka-idle 1m
frontend fe
    clitcpka-cnt 4
    bind :8080,127.0.0.1:9000-9001 tcp-ut 30s
frontend plain
    no option clitcpka
    clitcpka-intvl 10
    bind ipv6@:::7000
)"));
    ASSERT_EQ(d.size(), 4u);
    EXPECT_EQ(d[0].port, 8080);
    EXPECT_TRUE(d[0].ip.is_unspecified());
    EXPECT_EQ(d[0].on_accept.keepalive, true);
    EXPECT_EQ(d[0].on_accept.idle_seconds, 60u);
    EXPECT_EQ(d[0].on_accept.count, 4u);
    EXPECT_FALSE(d[0].on_accept.interval_seconds.has_value());
    EXPECT_EQ(d[0].on_listener.user_timeout_ms, 30000u);
    EXPECT_EQ(d[0].declared_text, "option clitcpka, clitcpka-idle 1m, clitcpka-cnt 4, tcp-ut 30s");
    EXPECT_EQ(d[2].port, 9001);
    // Without the option HAProxy sets none of the values (session.c).
    EXPECT_FALSE(d[3].on_accept.any());
    EXPECT_EQ(d[3].ip.family, k_family_inet6);
}

TEST(DeclaredListenersTest, EnvoyListenersCarryTheirSocketOptionsAndFrom137TcpKeepalive) {
    const std::string yaml =
        "static_resources:\n"
        "  listeners:\n"
        "  - name: raw\n"
        "    address: {socket_address: {address: 0.0.0.0, port_value: 8443}}\n"
        "    socket_options:\n"
        "    - {level: \"1\", name: \"9\", int_value: \"1\"}\n"
        "    - {level: 6, name: 4, int_value: 60, state: STATE_LISTENING}\n"
        "    - {level: 6, name: 18, int_value: 90000}\n"
        "  - name: typed\n"
        "    address: {socket_address: {address: \"::\", port_value: 9443}}\n"
        "    tcp_keepalive: {keepalive_time: 30, keepalive_probes: 0}\n"
        "  - name: pipe\n"
        "    address: {pipe: {path: /run/envoy.sock}}\n";
    auto config = parse_envoy_config(yaml, "envoy.yaml");
    ASSERT_TRUE(config.has_value()) << config.error().line();
    const auto d = envoy_declared_listeners(*config, true);
    ASSERT_EQ(d.size(), 2u);  // the pipe has no TCP socket
    EXPECT_EQ(d[0].object, "envoy listener raw");
    EXPECT_EQ(d[0].address, "0.0.0.0:8443");
    EXPECT_EQ(d[0].port, 8443);
    EXPECT_EQ(d[0].at.line, 3u);
    EXPECT_EQ(d[0].on_listener.keepalive, true);  // int64 as strings, as a config_dump writes them
    EXPECT_EQ(d[0].on_listener.idle_seconds, 60u);
    EXPECT_EQ(d[0].on_listener.user_timeout_ms, 90000u);
    EXPECT_FALSE(d[0].on_listener.interval_seconds);
    EXPECT_EQ(d[0].declared_text, "1/9=1, 6/4=60, 6/18=90000");
    EXPECT_EQ(d[1].address, "[::]:9443");
    EXPECT_EQ(d[1].on_listener.keepalive, false);  // a field at 0 turns keepalive off from 1.37
    EXPECT_EQ(d[1].on_listener.idle_seconds, 30u);
    // Before 1.37 the typed field is unknown to Envoy: nothing is declared by it.
    const auto old = envoy_declared_listeners(*config, false);
    EXPECT_FALSE(old[1].on_listener.any());
}

TEST(AuditLiveTest, ASocketHoldingWhatTheConfigurationDeclaresIsConsistent) {
    const auto d = nginx_declared_listeners(nginx(k_nginx));
    const auto a = check(ProxyKind::nginx, d,
                         {listening("0.0.0.0", 443, {true, 60, 20, 2, 0}, 1), listening("::", 8443, k_untouched, 2),
                          listening("127.0.0.1", 8080, k_untouched, 3), listening("127.0.0.1", 5432, k_untouched, 4)});
    EXPECT_TRUE(a.findings.empty()) << a.findings.front().evidence;
    ASSERT_EQ(a.listeners.size(), 4u);
    for (const auto& l : a.listeners) EXPECT_EQ(l.verdict, LiveVerdict::consistent);
    EXPECT_TRUE(a.undeclared.empty());
}

TEST(AuditLiveTest, ASocketWithOtherValuesThanDeclaredIsL1AndNamesBoth) {
    const auto d = nginx_declared_listeners(nginx(k_nginx));
    const auto a = check(ProxyKind::nginx, {d[0]}, {listening("0.0.0.0", 443, {true, 240, 30, 4, 0})});
    ASSERT_EQ(rules(a), std::vector<std::string>{"L1@3"});
    EXPECT_EQ(a.findings[0].severity, Severity::medium);
    EXPECT_NE(a.findings[0].evidence.find("declared so_keepalive=60:20:2 on 443"), std::string::npos);
    EXPECT_NE(a.findings[0].evidence.find("keepalive on 240/30/4"), std::string::npos);
    EXPECT_NE(a.findings[0].evidence.find("again at every reload"), std::string::npos);
    EXPECT_EQ(a.listeners[0].verdict, LiveVerdict::drift);
    // Keepalive off where the configuration turns it on: no dead peer is ever found.
    const auto off = check(ProxyKind::nginx, {d[0]}, {listening("0.0.0.0", 443, k_untouched)});
    ASSERT_EQ(rules(off), std::vector<std::string>{"L1@3"});
    EXPECT_EQ(off.findings[0].severity, Severity::high);
}

TEST(AuditLiveTest, ValuesTheConfigurationDoesNotDeclareAreL2WithARenderedSnippet) {
    const auto d = nginx_declared_listeners(nginx(k_nginx));
    const auto a = check(ProxyKind::nginx, {d[2]}, {listening("127.0.0.1", 8080, {true, 240, 30, 4, 0})});
    ASSERT_EQ(rules(a), std::vector<std::string>{"L2@8"});
    EXPECT_EQ(a.findings[0].severity, Severity::medium);
    EXPECT_EQ(a.findings[0].fix_syntax, "nginx");
    EXPECT_NE(a.findings[0].fix.find("listen 127.0.0.1:8080 so_keepalive=240:30:4;"), std::string::npos)
        << a.findings[0].fix;
    EXPECT_NE(a.findings[0].evidence.find("restart loses"), std::string::npos);
    EXPECT_EQ(a.listeners[0].verdict, LiveVerdict::undeclared_values);
}

TEST(AuditLiveTest, HaproxyListenersCarryNoConfigurationValuesSoOnlyUndeclaredOnesCount) {
    const auto d = haproxy_declared_listeners(haproxy("frontend fe\n    option clitcpka\n    clitcpka-idle 60\n    bind :8080\n"));
    // HAProxy puts clitcpka-* on each accepted connection: an untouched listener is consistent.
    EXPECT_TRUE(check(ProxyKind::haproxy, d, {listening("0.0.0.0", 8080, k_untouched)}).findings.empty());
    // An idle the frontend overrides per connection is not carried; the count is.
    const auto a = check(ProxyKind::haproxy, d, {listening("0.0.0.0", 8080, {true, 240, 75, 4, 0})});
    ASSERT_EQ(rules(a), std::vector<std::string>{"L2@4"});
    EXPECT_NE(a.findings[0].evidence.find("count 4"), std::string::npos);
    EXPECT_EQ(a.findings[0].evidence.find("idle 240"), std::string::npos);
    EXPECT_NE(a.findings[0].fix.find("clitcpka-idle 60s"), std::string::npos) << a.findings[0].fix;
    EXPECT_NE(a.findings[0].fix.find("clitcpka-cnt 4"), std::string::npos);
    EXPECT_NE(a.findings[0].fix.find("bind :8080"), std::string::npos);
}

TEST(AuditLiveTest, HaproxyTcpUtIsOnTheListenerSoADifferentUserTimeoutIsL1BesideL2ForTheRest) {
    const auto d = haproxy_declared_listeners(haproxy("frontend fe\n    bind 127.0.0.1:8080 tcp-ut 30s\n"));
    ASSERT_EQ(d.size(), 1u);
    EXPECT_TRUE(check(ProxyKind::haproxy, d, {listening("127.0.0.1", 8080, {false, 7200, 75, 9, 30000})}).findings.empty());
    const auto a = check(ProxyKind::haproxy, d, {listening("127.0.0.1", 8080, {true, 240, 30, 4, 90000})});
    ASSERT_EQ(rules(a), (std::vector<std::string>{"L1@2", "L2@2"}));
    EXPECT_NE(a.findings[0].evidence.find("user timeout ms 30000 declared, 90000 on the socket"), std::string::npos)
        << a.findings[0].evidence;
    EXPECT_NE(a.findings[0].fix.find("kill -USR2 100"), std::string::npos) << a.findings[0].fix;
    // The user timeout is declared, so it is L1's, not one of L2's undeclared values.
    EXPECT_EQ(a.findings[1].evidence.find("user timeout ms"), std::string::npos) << a.findings[1].evidence;
    EXPECT_NE(a.findings[1].evidence.find("SO_KEEPALIVE on; idle 240"), std::string::npos) << a.findings[1].evidence;
    EXPECT_EQ(a.listeners[0].verdict, LiveVerdict::drift);
}

TEST(AuditLiveTest, ADeclaredListenerWithoutASocketIsL3AndAnUnknownSocketIsListed) {
    const auto d = nginx_declared_listeners(nginx(k_nginx));
    const auto a = check(ProxyKind::nginx, {d[0]}, {listening("0.0.0.0", 9999, k_untouched)});
    ASSERT_EQ(rules(a), std::vector<std::string>{"L3@3"});
    EXPECT_EQ(a.findings[0].severity, Severity::info);
    EXPECT_EQ(a.listeners[0].verdict, LiveVerdict::no_socket);
    ASSERT_EQ(a.undeclared.size(), 1u);
    EXPECT_EQ(a.undeclared[0].local.port, 9999);
}

TEST(AuditLiveTest, AnNginxAddressCoveredByAWildcardIsServedByTheWildcardSocket) {
    const auto d = nginx_declared_listeners(nginx("http { server { listen 80; } server { listen 127.0.0.1:80; } }"));
    ASSERT_EQ(d.size(), 2u);
    const auto a = check(ProxyKind::nginx, d, {listening("0.0.0.0", 80, {true, 7200, 75, 9, 0})});
    // Both lines are served by one socket: its undeclared SO_KEEPALIVE is reported once.
    EXPECT_EQ(rules(a), std::vector<std::string>{"L2@1"});
    EXPECT_EQ(a.listeners[1].sockets.size(), 1u);
}

}  // namespace
}  // namespace kt
