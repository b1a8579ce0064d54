#include "core/socket/socket_record.hpp"

namespace kt {

bool IpAddress::is_v4_mapped() const {
    if (family != k_family_inet6) return false;
    for (std::size_t i = 0; i < 10; ++i)
        if (bytes[i] != 0) return false;
    return bytes[10] == 0xff && bytes[11] == 0xff;
}

bool IpAddress::is_unspecified() const {
    const std::size_t n = family == k_family_inet ? 4 : 16;
    for (std::size_t i = 0; i < n; ++i)
        if (bytes[i] != 0) return false;
    return true;
}

IpAddress IpAddress::unmapped() const {
    if (!is_v4_mapped()) return *this;
    IpAddress v4;
    v4.family = k_family_inet;
    for (std::size_t i = 0; i < 4; ++i) v4.bytes[i] = bytes[12 + i];
    return v4;
}

const char* family_name(std::uint8_t family) {
    return family == k_family_inet ? "ipv4" : family == k_family_inet6 ? "ipv6" : "other";
}

}  // namespace kt
