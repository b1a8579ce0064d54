#include "core/socket/socket_role.hpp"

#include <array>
#include <string>

#include "core/socket/tcp_state.hpp"
#include "core/text/nearest.hpp"
#include "core/text/word_list.hpp"

namespace kt {

namespace {
constexpr std::array<std::string_view, k_role_count> k_role_names = {"listener", "accepted", "upstream"};
}

std::string_view role_name(SocketRole r) { return k_role_names[static_cast<std::size_t>(r)]; }

std::string role_list_text(std::uint8_t roles) {
    std::string out;
    for (std::size_t i = 0; i < k_role_count; ++i)
        if (roles & (1u << i)) out += (out.empty() ? "" : ",") + std::string(k_role_names[i]);
    return out;
}

Result<std::uint8_t> parse_role_list(std::string_view list, std::string_view flag) {
    std::uint8_t mask = 0;
    for (const auto word : split_words(list)) {
        bool found = false;
        for (std::size_t i = 0; i < k_role_count; ++i) {
            if (k_role_names[i] == word) {
                mask = static_cast<std::uint8_t>(mask | (1u << i));
                found = true;
            }
        }
        if (!found)
            return fail(std::string(flag) + " " + std::string(word),
                        "unknown role" + did_you_mean(word, k_role_names) + "; roles are listener, accepted, upstream");
    }
    if (mask == 0) return fail(std::string(flag), "give at least one of listener, accepted, upstream");
    return mask;
}

void ListenerIndex::add(const Endpoint& listening) {
    ++m_count;
    const IpAddress a = listening.address.unmapped();
    if (a.is_unspecified())
        m_wildcard_ports.set(listening.port);
    else {
        m_bound_ports.set(listening.port);
        m_bound.insert(Endpoint{a, listening.port});
    }
}

std::size_t ListenerIndex::EndpointHash::operator()(const Endpoint& e) const {
    // FNV-1a over the address bytes, then the port.
    std::uint64_t h = 1469598103934665603ull ^ e.address.family;
    for (auto b : e.address.bytes) h = (h ^ b) * 1099511628211ull;
    return static_cast<std::size_t>((h ^ e.port) * 1099511628211ull);
}

void ListenerIndex::clear() {
    m_wildcard_ports.reset();
    m_bound_ports.reset();
    m_bound.clear();
    m_count = 0;
}

SocketRole ListenerIndex::role_of(std::uint8_t state, const Endpoint& local) const {
    if (state == static_cast<std::uint8_t>(TcpState::listen)) return SocketRole::listener;
    if (m_wildcard_ports.test(local.port)) return SocketRole::accepted;
    // Most sockets are on ephemeral ports no listener has: one bit test decides them.
    if (m_bound_ports.test(local.port)) {
        if (m_bound.contains(Endpoint{local.address.unmapped(), local.port})) return SocketRole::accepted;
    }
    return SocketRole::upstream;
}

}  // namespace kt
