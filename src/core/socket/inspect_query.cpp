#include "core/socket/inspect_query.hpp"

#include <array>
#include <tuple>

#include "core/text/duration.hpp"
#include "core/text/nearest.hpp"

namespace kt {

bool InspectQuery::keepalive_matches(KeepaliveObserved observed) const {
    switch (keepalive) {
        case KeepaliveFilter::any: return true;
        case KeepaliveFilter::on: return observed == KeepaliveObserved::armed;
        case KeepaliveFilter::off: return observed == KeepaliveObserved::off;
        case KeepaliveFilter::unknown: return observed == KeepaliveObserved::hidden;
    }
    return true;
}

bool InspectQuery::idle_matches(const SocketRecord& s) const {
    if (!idle_filtered()) return true;
    if (!s.has_info) return false;
    const std::uint64_t idle = s.info.idle_ms();
    return (!idle_over_ms || idle > *idle_over_ms) && (!idle_under_ms || idle < *idle_under_ms);
}

Result<InspectQuery> build_inspect_query(const InspectFlags& flags) {
    InspectQuery q;
    if (flags.ipv4_only && flags.ipv6_only) return fail("-4 and -6", "give at most one of them");
    for (auto [text, flag, out] : {std::tuple{&flags.idle_over, "--idle-over", &q.idle_over_ms},
                                   std::tuple{&flags.idle_under, "--idle-under", &q.idle_under_ms}}) {
        if (text->empty()) continue;
        auto ms = parse_duration_ms(*text);
        if (!ms) return fail(flag, ms.error().why);
        *out = *ms;
    }
    if (flags.ipv4_only) q.family = k_family_inet;
    if (flags.ipv6_only) q.family = k_family_inet6;
    if (flags.states_given || !flags.states.empty()) {
        auto mask = parse_state_list(flags.states);
        if (!mask) return std::unexpected(mask.error());
        q.states = *mask;
    }
    auto ranges = [](const std::vector<std::string>& texts, const char* flag,
                     std::vector<PortRange>& out) -> Result<void> {
        for (const auto& t : texts) {
            auto r = parse_port_range(t, flag);
            if (!r) return std::unexpected(r.error());
            out.push_back(*r);
        }
        return {};
    };
    if (auto r = ranges(flags.sports, "--sport", q.kernel.sport); !r) return std::unexpected(r.error());
    if (auto r = ranges(flags.dports, "--dport", q.kernel.dport); !r) return std::unexpected(r.error());
    if (auto r = ranges(flags.ports, "--port", q.kernel.either_port); !r) return std::unexpected(r.error());
    auto cidrs = [&](const std::vector<std::string>& texts, const char* flag, std::vector<Cidr>& out) -> Result<void> {
        for (const auto& t : texts) {
            auto c = parse_cidr(t, flag);
            if (!c) return std::unexpected(c.error());
            if (q.family && c->address.family != q.family)
                return fail(std::string(flag) + " " + t, std::string("is not an ") + family_name(q.family) +
                                                             " address, and -" + (q.family == k_family_inet ? "4" : "6") +
                                                             " was given");
            out.push_back(*c);
        }
        return {};
    };
    if (auto r = cidrs(flags.peers, "--peer", q.kernel.peer); !r) return std::unexpected(r.error());
    if (auto r = cidrs(flags.locals, "--local", q.kernel.local); !r) return std::unexpected(r.error());
    if (!flags.roles.empty()) {
        auto roles = parse_role_list(flags.roles, "--role");
        if (!roles) return std::unexpected(roles.error());
        q.roles = *roles;
    }
    if (!flags.keepalive.empty()) {
        static constexpr std::array<std::string_view, 3> k_values = {"on", "off", "unknown"};
        if (flags.keepalive == "on")
            q.keepalive = KeepaliveFilter::on;
        else if (flags.keepalive == "off")
            q.keepalive = KeepaliveFilter::off;
        else if (flags.keepalive == "unknown")
            q.keepalive = KeepaliveFilter::unknown;
        else
            return fail("--keepalive " + flags.keepalive,
                        "must be on, off or unknown" + did_you_mean(flags.keepalive, k_values));
    }
    // Selections that can match nothing are bad input, not an empty table.
    if (q.idle_over_ms && q.idle_under_ms && *q.idle_under_ms <= *q.idle_over_ms + 1)
        return fail("--idle-under " + flags.idle_under,
                    "is not above --idle-over " + flags.idle_over + ", so no socket can match; give the lower bound to "
                    "--idle-over and the upper one to --idle-under");
    if (q.idle_filtered() && q.states == state_bit(TcpState::listen))
        return fail(std::string(q.idle_over_ms ? "--idle-over" : "--idle-under"),
                    "listening sockets have no idle time (nothing is sent or received on them); --state listening "
                    "and an idle filter match nothing");
    return q;
}

}  // namespace kt
