// Health counts rolled up per owning process and per destination, top N plus the rest, and
// what peer-closed connections of one owner toward one destination say about the peer.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/health/health.hpp"
#include "core/socket/socket_record.hpp"
#include "core/socket/socket_role.hpp"

namespace kt {

// Where a connection goes: the peer for connections this host made; the listening port for
// connections it accepted (clients' ephemeral ports would make every one its own group).
struct Destination {
    Endpoint endpoint;
    bool accepted = false;
    friend bool operator==(const Destination&, const Destination&) = default;
};
Destination destination_of(const SocketRecord& s, SocketRole role);
std::string destination_label(const Destination& d);  // "10.0.0.9:5432", "clients of :443"

struct HealthGroup {
    std::string label;       // "812 pgbouncer", "10.0.0.9:5432", "other"
    std::int32_t pid = 0;    // owner groups; 0 for no known owner and for "other"
    std::string comm;
    VerdictCounts counts;
};

// Peer-closed connections of one owner toward one destination.
struct PeerClosing {
    std::int32_t pid = 0;
    std::string comm;
    std::string destination;
    std::uint64_t connections = 0;
    std::uint64_t measured = 0;  // of those, how many showed how long they were idle before the FIN
    std::uint64_t idle_min_ms = 0, idle_max_ms = 0;
};
// "10.0.0.9:5432 closes connections idle for about 5 s (...) while pid 812 (pgbouncer) keeps
// them longer: lower its pool's idle timeout below 5 s (...)".
std::string peer_closing_advice(const PeerClosing& p);

// Owners are known only after the dump (the /proc scan is paid only when something is not
// ok), so destinations are counted while dumping and owners afterwards.
class HealthRollup {
public:
    // Every judged connection, once.
    void count(const Destination& d, HealthVerdict v);
    // Adds what another roll-up counted with count() (one network namespace's, to the node's).
    void add_destinations(const HealthRollup& other);
    // Every judged connection whose owner was looked up (pid 0: none seen), once.
    void count_owner(std::int32_t pid, std::string_view comm, HealthVerdict v);
    // Each peer-closed connection, with its owner.
    void peer_closed(const SocketRecord& s, const Destination& d, std::int32_t pid, std::string_view comm);
    bool owners_counted() const { return !m_owners.empty(); }

    const VerdictCounts& totals() const { return m_totals; }
    // The `top` groups with the most connections that are not ok (then the most connections),
    // and one "other" group summing the rest when there is a rest.
    std::vector<HealthGroup> owners(std::size_t top) const;
    std::vector<HealthGroup> destinations(std::size_t top) const;
    std::vector<PeerClosing> peer_closings() const;  // most connections first

private:
    struct DestinationHash {
        std::size_t operator()(const Destination& d) const;
    };
    struct OwnerDestination {
        std::int32_t pid;
        Destination destination;
        friend bool operator==(const OwnerDestination&, const OwnerDestination&) = default;
    };
    struct OwnerDestinationHash {
        std::size_t operator()(const OwnerDestination& k) const;
    };
    VerdictCounts m_totals;
    std::unordered_map<std::int32_t, HealthGroup> m_owners;
    std::unordered_map<Destination, VerdictCounts, DestinationHash> m_destinations;
    std::unordered_map<OwnerDestination, PeerClosing, OwnerDestinationHash> m_closing;
};

}  // namespace kt
