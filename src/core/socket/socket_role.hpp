// Which side of a connection a socket is: the kernel does not say, so it is inferred from
// the listeners of the same network namespace.
#pragma once

#include <bitset>
#include <unordered_set>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/socket/socket_record.hpp"
#include "core/text/error.hpp"

namespace kt {

enum class SocketRole : std::uint8_t {
    listener,  // LISTEN
    accepted,  // its local address:port is a listener's: the peer connected to us
    upstream,  // outbound: we connected to the peer
};
inline constexpr std::size_t k_role_count = 3;

std::string_view role_name(SocketRole r);
// Comma-separated role names ("listener,upstream"); the result has bit (1 << role) set.
Result<std::uint8_t> parse_role_list(std::string_view list, std::string_view flag);
// The names of the roles set in `roles`, comma-separated, in the order listener, accepted, upstream.
std::string role_list_text(std::uint8_t roles);
inline constexpr std::uint8_t role_bit(SocketRole r) { return static_cast<std::uint8_t>(1u << static_cast<unsigned>(r)); }
inline constexpr std::uint8_t k_all_roles = 0x7;

// The listeners of one network namespace.
class ListenerIndex {
public:
    void add(const SocketRecord& listener) { add(listener.local); }
    void add(const Endpoint& listening);
    void clear();
    std::size_t size() const { return m_count; }
    // A socket whose local endpoint a listener owns was accepted; anything else connected out.
    SocketRole role_of(const SocketRecord& s) const { return role_of(s.state, s.local); }
    SocketRole role_of(std::uint8_t state, const Endpoint& local) const;

private:
    std::bitset<65536> m_wildcard_ports;  // listeners on 0.0.0.0 or ::
    std::bitset<65536> m_bound_ports;     // ports with a listener on one address
    struct EndpointHash {
        std::size_t operator()(const Endpoint& e) const;
    };
    // Those listeners, unmapped. A set, not a list: a server listening on each of many
    // addresses with one port would otherwise compare every accepted socket with all of them.
    std::unordered_set<Endpoint, EndpointHash> m_bound;
    std::size_t m_count = 0;
};

}  // namespace kt
