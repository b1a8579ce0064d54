#include "core/timewait/timewait.hpp"

#include <algorithm>

#include "core/socket/ip_text.hpp"
#include "core/socket/tcp_state.hpp"

namespace kt {

std::size_t TimewaitCounter::KeyHash::operator()(const Key& k) const {
    std::size_t h = k.peer.port;
    for (auto b : k.local.bytes) h = h * 131 + b;
    for (auto b : k.peer.address.bytes) h = h * 131 + b;
    return h;
}

void TimewaitCounter::on_socket(const SocketRecord& s) {
    if (s.state == static_cast<std::uint8_t>(TcpState::listen)) return;
    const bool tw = s.state == static_cast<std::uint8_t>(TcpState::time_wait);
    m_time_wait += tw;
    if (m_listeners.role_of(s) == SocketRole::accepted) {
        if (tw) {
            auto& port = m_servers[s.local.port];
            port.port = s.local.port;
            ++port.time_wait;
        }
        return;
    }
    // IPv4-mapped IPv6 sockets share the IPv4 port space with plain IPv4 ones.
    Key key{s.local.address.unmapped(), Endpoint{s.peer.address.unmapped(), s.peer.port}};
    auto& d = m_clients[key];
    d.local = key.local;
    d.peer = key.peer;
    ++d.all_states;
    d.ports_in_use = d.all_states;
    d.time_wait += tw;
}

std::string destination_string(const ClientDestination& d) {
    return (d.local.is_unspecified() ? std::string("*") : ip_string(d.local)) + " -> " + endpoint_string(d.peer);
}

KernelFilter pressure_filter(const std::vector<ClientDestination>& by_time_wait, std::size_t limit) {
    KernelFilter f;
    for (std::size_t i = 0; i < by_time_wait.size() && i < limit; ++i) {
        const auto& d = by_time_wait[i];
        const Cidr peer{d.peer.address, static_cast<std::uint8_t>(d.peer.address.family == k_family_inet ? 32 : 128)};
        if (std::find(f.peer.begin(), f.peer.end(), peer) == f.peer.end()) f.peer.push_back(peer);
        const PortRange port{d.peer.port, d.peer.port};
        if (std::find(f.dport.begin(), f.dport.end(), port) == f.dport.end()) f.dport.push_back(port);
    }
    return f;
}

std::vector<ClientDestination> by_peer(const std::vector<ClientDestination>& pairs) {
    std::vector<ClientDestination> out;
    for (const auto& p : pairs) {
        auto it = std::find_if(out.begin(), out.end(), [&](const auto& d) { return d.peer == p.peer; });
        if (it == out.end()) {
            out.push_back(p);
            out.back().local = IpAddress{};
            continue;
        }
        it->time_wait += p.time_wait;
        it->all_states += p.all_states;
        it->ports_in_use = std::max(it->ports_in_use, p.ports_in_use);
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.time_wait > b.time_wait; });
    return out;
}

std::vector<ClientDestination> TimewaitCounter::clients() const {
    std::vector<ClientDestination> out;
    for (const auto& [k, d] : m_clients)
        if (d.time_wait > 0) out.push_back(d);
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
        return a.time_wait != b.time_wait ? a.time_wait > b.time_wait : a.all_states > b.all_states;
    });
    return out;
}

std::vector<ServerPort> TimewaitCounter::servers() const {
    std::vector<ServerPort> out;
    for (const auto& [p, s] : m_servers) out.push_back(s);
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
        return a.time_wait != b.time_wait ? a.time_wait > b.time_wait : a.port < b.port;
    });
    return out;
}

namespace {
// The first `top` as they are; the rest folded into one entry by `merge`.
template <class T, class Merge>
TopN<T> split_top(std::vector<T> all, std::size_t top, Merge merge) {
    TopN<T> out;
    for (std::size_t i = 0; i < all.size(); ++i) {
        if (i < top) {
            out.top.push_back(all[i]);
            continue;
        }
        if (!out.rest) out.rest = T{};
        merge(*out.rest, all[i]);
    }
    return out;
}
}  // namespace

TopN<ClientDestination> top_clients(std::vector<ClientDestination> all, std::size_t top) {
    return split_top(std::move(all), top, [](ClientDestination& rest, const ClientDestination& d) {
        rest.time_wait += d.time_wait;
        rest.all_states += d.all_states;
        rest.ports_in_use = std::max(rest.ports_in_use, d.ports_in_use);
    });
}

TopN<ServerPort> top_servers(std::vector<ServerPort> all, std::size_t top) {
    return split_top(std::move(all), top, [](ServerPort& rest, const ServerPort& s) { rest.time_wait += s.time_wait; });
}

}  // namespace kt
