#include "core/health/health_rollup.hpp"

#include <algorithm>
#include <cstring>

#include "core/socket/ip_text.hpp"
#include "core/text/duration.hpp"

namespace kt {

namespace {
std::size_t hash_endpoint(const Endpoint& e, bool accepted) {
    std::uint64_t h = 1469598103934665603ull;
    for (const auto b : e.address.bytes) h = (h ^ b) * 1099511628211ull;
    h = (h ^ e.port) * 1099511628211ull;
    return static_cast<std::size_t>(h ^ (accepted ? 0x9e37u : 0u));
}

std::uint64_t not_ok(const VerdictCounts& c) { return c.total() - c[HealthVerdict::ok]; }

std::vector<HealthGroup> top_of(std::vector<HealthGroup> all, std::size_t top) {
    std::sort(all.begin(), all.end(), [](const HealthGroup& a, const HealthGroup& b) {
        if (not_ok(a.counts) != not_ok(b.counts)) return not_ok(a.counts) > not_ok(b.counts);
        if (a.counts.total() != b.counts.total()) return a.counts.total() > b.counts.total();
        return a.label < b.label;
    });
    if (all.size() <= top) return all;
    HealthGroup other;
    other.label = "other";
    for (std::size_t i = top; i < all.size(); ++i)
        for (std::size_t v = 0; v < k_verdict_count; ++v) other.counts.n[v] += all[i].counts.n[v];
    all.resize(top);
    all.push_back(std::move(other));
    return all;
}
}  // namespace

Destination destination_of(const SocketRecord& s, SocketRole role) {
    if (role == SocketRole::accepted) return {Endpoint{IpAddress{}, s.local.port}, true};
    return {Endpoint{s.peer.address.unmapped(), s.peer.port}, false};
}

std::string destination_label(const Destination& d) {
    if (d.accepted) return "clients of :" + std::to_string(d.endpoint.port);
    return endpoint_string(d.endpoint);
}

std::size_t HealthRollup::DestinationHash::operator()(const Destination& d) const {
    return hash_endpoint(d.endpoint, d.accepted);
}

std::size_t HealthRollup::OwnerDestinationHash::operator()(const OwnerDestination& k) const {
    return hash_endpoint(k.destination.endpoint, k.destination.accepted) * 31 + static_cast<std::size_t>(k.pid);
}

void HealthRollup::count(const Destination& d, HealthVerdict v) {
    ++m_totals[v];
    ++m_destinations[d][v];
}

void HealthRollup::add_destinations(const HealthRollup& other) {
    for (std::size_t v = 0; v < k_verdict_count; ++v) m_totals.n[v] += other.m_totals.n[v];
    for (const auto& [d, counts] : other.m_destinations) {
        auto& mine = m_destinations[d];
        for (std::size_t v = 0; v < k_verdict_count; ++v) mine.n[v] += counts.n[v];
    }
}

void HealthRollup::count_owner(std::int32_t pid, std::string_view comm, HealthVerdict v) {
    auto& owner = m_owners[pid];
    if (owner.label.empty()) {
        owner.pid = pid;
        owner.comm = std::string(comm);
        owner.label = pid ? std::to_string(pid) + " " + owner.comm : "no owner seen";
    }
    ++owner.counts[v];
}

void HealthRollup::peer_closed(const SocketRecord& s, const Destination& d, std::int32_t pid, std::string_view comm) {
    auto& c = m_closing[{pid, d}];
    if (c.connections++ == 0) {
        c.pid = pid;
        c.comm = std::string(comm);
        c.destination = destination_label(d);
    }
    if (const auto idle = idle_before_peer_close_ms(s)) {
        c.idle_min_ms = c.measured ? std::min(c.idle_min_ms, *idle) : *idle;
        c.idle_max_ms = c.measured ? std::max(c.idle_max_ms, *idle) : *idle;
        ++c.measured;
    }
}

std::vector<HealthGroup> HealthRollup::owners(std::size_t top) const {
    std::vector<HealthGroup> all;
    for (const auto& [pid, g] : m_owners) all.push_back(g);
    return top_of(std::move(all), top);
}

std::vector<HealthGroup> HealthRollup::destinations(std::size_t top) const {
    std::vector<HealthGroup> all;
    for (const auto& [d, counts] : m_destinations) all.push_back({destination_label(d), 0, {}, counts});
    return top_of(std::move(all), top);
}

std::vector<PeerClosing> HealthRollup::peer_closings() const {
    std::vector<PeerClosing> out;
    for (const auto& [k, c] : m_closing) out.push_back(c);
    std::sort(out.begin(), out.end(), [](const PeerClosing& a, const PeerClosing& b) {
        return a.connections != b.connections ? a.connections > b.connections : a.destination < b.destination;
    });
    return out;
}

std::string peer_closing_advice(const PeerClosing& p) {
    const std::string owner = p.pid ? "pid " + std::to_string(p.pid) + " (" + p.comm + ")" : "the owner";
    std::string text = std::to_string(p.connections) + " connection(s) of " + owner + " toward " + p.destination +
                       " were closed by the peer and are still held (CLOSE_WAIT)";
    if (p.measured == 0) return text + ": the owner does not notice closed connections; check that it reads them";
    // Each connection shows how long it had been idle when the FIN came: together they are
    // an estimate of the peer's idle timeout when they agree, and a bound when they do not.
    const std::uint64_t lo = p.idle_min_ms, hi = p.idle_max_ms;
    const bool agree = hi - lo <= std::max<std::uint64_t>(1000, hi / 10);
    const std::string at = format_duration_ms(lo);
    text += agree ? "; the peer closes connections idle for about " + at + " (estimated from " +
                        std::to_string(p.measured) + " connection(s))"
                  : "; the peer closed connections after " + at + " to " + format_duration_ms(hi) +
                        " of idleness (a bound: at least one closes as early as " + at + ")";
    text += ", while " + owner + " keeps them in its pool longer: lower the pool's idle timeout below " + at +
            " (nginx upstream keepalive_timeout, Envoy idle_timeout, HAProxy timeout http-keep-alive)";
    return text;
}

}  // namespace kt
