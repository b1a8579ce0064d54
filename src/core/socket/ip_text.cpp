#include "core/socket/ip_text.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

namespace kt {

std::optional<IpAddress> parse_ip_address(std::string_view text) {
    if (text.size() >= 2 && text.front() == '[' && text.back() == ']') text = text.substr(1, text.size() - 2);
    char buf[64];
    if (text.empty() || text.size() >= sizeof buf) return std::nullopt;
    std::memcpy(buf, text.data(), text.size());
    buf[text.size()] = '\0';
    IpAddress a;
    if (inet_pton(AF_INET, buf, a.bytes.data()) == 1) {
        a.family = k_family_inet;
        return a;
    }
    if (inet_pton(AF_INET6, buf, a.bytes.data()) == 1) {
        a.family = k_family_inet6;
        return a;
    }
    return std::nullopt;
}

namespace {
// "0".."255" with their lengths, so an IPv4 address is four copies (on the per-socket path).
struct Octets {
    char text[256][4];
    std::uint8_t len[256];
    constexpr Octets() : text{}, len{} {
        for (unsigned v = 0; v < 256; ++v) {
            unsigned n = 0;
            if (v >= 100) text[v][n++] = static_cast<char>('0' + v / 100);
            if (v >= 10) text[v][n++] = static_cast<char>('0' + v / 10 % 10);
            text[v][n++] = static_cast<char>('0' + v % 10);
            len[v] = static_cast<std::uint8_t>(n);
        }
    }
};
constexpr Octets k_octets;
}  // namespace

std::size_t format_ip(char* out, const IpAddress& a) {
    if (a.family == k_family_inet) {
        char* p = out;
        for (std::size_t i = 0; i < 4; ++i) {
            if (i) *p++ = '.';
            const auto b = a.bytes[i];
            std::memcpy(p, k_octets.text[b], 4);
            p += k_octets.len[b];
        }
        return static_cast<std::size_t>(p - out);
    }
    if (!inet_ntop(AF_INET6, a.bytes.data(), out, INET6_ADDRSTRLEN)) return 0;
    return std::strlen(out);
}

std::size_t format_endpoint(char* out, const Endpoint& e) {
    char* p = out;
    if (e.address.is_unspecified() && e.port == 0) {  // a listener's peer
        *p++ = '*';
        *p++ = ':';
        *p++ = '*';
        return 3;
    }
    if (e.address.is_unspecified()) {
        *p++ = '*';
    } else if (e.address.family == k_family_inet6) {
        *p++ = '[';
        p += format_ip(p, e.address);
        *p++ = ']';
    } else {
        p += format_ip(p, e.address);
    }
    *p++ = ':';
    p = std::to_chars(p, p + 5, e.port).ptr;
    return static_cast<std::size_t>(p - out);
}

std::string ip_string(const IpAddress& a) {
    char buf[k_max_endpoint_text];
    return std::string(buf, format_ip(buf, a));
}

std::string endpoint_string(const Endpoint& e) {
    char buf[k_max_endpoint_text];
    return std::string(buf, format_endpoint(buf, e));
}

}  // namespace kt
