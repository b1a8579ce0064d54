// Wing core/timewait: TIME_WAIT, port pressure, check's policy. May include the wings up to health.
// TIME_WAIT by destination: who closes actively, toward where, and how close each
// destination is to running out of local ports.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/socket/diag_bytecode.hpp"
#include "core/socket/diag_parse.hpp"
#include "core/socket/socket_role.hpp"

namespace kt {

// TIME_WAIT lasts 60 s (TCP_TIMEWAIT_LEN): a steady count N is about N/60 closes a second.
inline constexpr double k_time_wait_seconds = 60.0;

// This host connected out and closed first: one (local ip -> peer ip:port) destination.
struct ClientDestination {
    IpAddress local;
    Endpoint peer;
    std::uint64_t time_wait = 0;
    std::uint64_t all_states = 0;  // TIME_WAIT + established + others: the local ports in use toward it
    // The most local ports one (local ip, peer) pair uses: equal to all_states for one pair,
    // the busiest pair's when destinations are merged by peer (each local ip has its own ports).
    std::uint64_t ports_in_use = 0;
    double close_rate() const { return static_cast<double>(time_wait) / k_time_wait_seconds; }
    // Share of the local port range in use toward this destination (connect() picks a free
    // local port per destination 4-tuple, so this is what runs out).
    double port_pressure(std::uint32_t port_range_size) const {
        return port_range_size ? static_cast<double>(ports_in_use) / port_range_size : 0.0;
    }
};

// This host accepted and closed first, on one listening port.
struct ServerPort {
    std::uint16_t port = 0;
    std::uint64_t time_wait = 0;
    double close_rate() const { return static_cast<double>(time_wait) / k_time_wait_seconds; }
};

// Counts sockets as they stream out of a dump (listeners must already be in `listeners`).
class TimewaitCounter : public SocketSink {
public:
    explicit TimewaitCounter(const ListenerIndex& listeners) : m_listeners(listeners) {}
    void on_socket(const SocketRecord& s) override;

    std::uint64_t time_wait() const { return m_time_wait; }
    // Sorted by TIME_WAIT count, highest first.
    std::vector<ClientDestination> clients() const;
    std::vector<ServerPort> servers() const;

private:
    struct Key {
        IpAddress local;
        Endpoint peer;
        friend bool operator==(const Key&, const Key&) = default;
    };
    struct KeyHash {
        std::size_t operator()(const Key& k) const;
    };
    const ListenerIndex& m_listeners;
    std::unordered_map<Key, ClientDestination, KeyHash> m_clients;
    std::unordered_map<std::uint16_t, ServerPort> m_servers;
    std::uint64_t m_time_wait = 0;
};

// The first `top` entries, and the rest summed into one (absent when nothing is left).
template <class T>
struct TopN {
    std::vector<T> top;
    std::optional<T> rest;
};
// Destinations merged by peer ip:port (local addresses summed), sorted like clients().
std::vector<ClientDestination> by_peer(const std::vector<ClientDestination>& pairs);

// How many destinations get their other states counted for port pressure: the kernel filter
// grows with each (the request must stay under 8 KiB), and the ones with the most TIME_WAIT are
// the ones near exhaustion.
inline constexpr std::size_t k_pressure_destinations = 64;

// A kernel filter that keeps sockets toward the first `limit` destinations of `by_time_wait`
// (their peer addresses and ports; the cross product is a superset, and the counter keeps only
// destinations that have TIME_WAIT). Empty when there are none.
KernelFilter pressure_filter(const std::vector<ClientDestination>& by_time_wait, std::size_t limit);

// "10.0.0.1 -> 10.0.0.9:5432" ("*" for the local side of destinations merged by peer).
std::string destination_string(const ClientDestination& d);

TopN<ClientDestination> top_clients(std::vector<ClientDestination> all, std::size_t top);
TopN<ServerPort> top_servers(std::vector<ServerPort> all, std::size_t top);

}  // namespace kt
