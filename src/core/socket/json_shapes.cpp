#include "core/socket/json_shapes.hpp"

#include <charconv>

#include "core/socket/ip_text.hpp"

namespace kt {

nlohmann::json endpoint_json(const Endpoint& e) { return {{"address", ip_string(e.address)}, {"port", e.port}}; }

nlohmann::json options_json(const SocketOptions& o) {
    return {{"so_keepalive", o.keepalive},
            {"idle_seconds", o.idle_seconds},
            {"interval_seconds", o.interval_seconds},
            {"count", o.count},
            {"user_timeout_ms", o.user_timeout_ms}};
}

std::optional<Endpoint> endpoint_from_json(const nlohmann::json& j) {
    if (!j.is_object()) return std::nullopt;
    const auto a = j.find("address");
    const auto p = j.find("port");
    if (a == j.end() || p == j.end() || !a->is_string() || !p->is_number_unsigned() || p->get<std::uint64_t>() > 65535)
        return std::nullopt;
    auto address = parse_ip_address(a->get<std::string>());
    if (!address) return std::nullopt;
    return Endpoint{*address, static_cast<std::uint16_t>(p->get<std::uint64_t>())};
}

std::optional<Endpoint> endpoint_from_text(std::string_view text) {
    if (text == "*:*") return Endpoint{};
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return std::nullopt;
    std::string_view host = text.substr(0, colon);
    const std::string_view port_text = text.substr(colon + 1);
    std::uint16_t port = 0;
    const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || end != port_text.data() + port_text.size()) return std::nullopt;
    if (host == "*") return Endpoint{IpAddress{}, port};
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    auto address = parse_ip_address(host);
    if (!address) return std::nullopt;
    return Endpoint{*address, port};
}

}  // namespace kt
