// Addresses to and from text, without allocating on the formatting path.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "core/socket/socket_record.hpp"

namespace kt {

inline constexpr std::size_t k_max_endpoint_text = 64;  // "[v6]:port" fits with room to spare

std::optional<IpAddress> parse_ip_address(std::string_view text);

// Writes the address ("127.0.0.1", "::1") at `out`; returns the length. `out` holds 46 bytes.
std::size_t format_ip(char* out, const IpAddress& a);
// "127.0.0.1:80", "[::1]:80", "*:80" for the unspecified address, "*:*" for a listener's peer.
std::size_t format_endpoint(char* out, const Endpoint& e);

std::string ip_string(const IpAddress& a);
std::string endpoint_string(const Endpoint& e);

}  // namespace kt
