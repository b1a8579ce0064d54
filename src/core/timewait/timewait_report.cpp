#include "core/timewait/timewait_report.hpp"

#include <algorithm>

#include "core/socket/ip_text.hpp"
#include "core/text/number_text.hpp"

namespace kt {

std::optional<double> TimewaitTotals::bucket_share() const {
    if (!max_tw_buckets || *max_tw_buckets <= 0) return std::nullopt;
    return static_cast<double>(time_wait) / static_cast<double>(*max_tw_buckets);
}

std::string tw_reuse_meaning(std::int64_t value) {
    switch (value) {
        case 0: return "0: off";
        case 1: return "1: on for outbound connections (TIME_WAIT ports reused after tcp_tw_reuse_delay)";
        case 2: return "2: loopback only (the default)";
        default: return std::to_string(value) + ": unknown";
    }
}

namespace {
std::string percent(double share) { return fixed_text(share * 100, 0) + "%"; }
std::string per_second(double rate) { return fixed_text(rate, 1) + "/s"; }

std::vector<Advice> advise(const TimewaitReport& r, const std::vector<ClientDestination>& clients,
                           const std::vector<ServerPort>& servers) {
    std::vector<Advice> out;
    const auto size = r.totals.port_range_size();
    if (!clients.empty() && clients.front().time_wait >= k_churn_time_wait) {
        const auto& d = clients.front();
        out.push_back({"pool or reuse upstream connections toward " + endpoint_string(d.peer) +
                           " (nginx: an upstream block with keepalive, proxy_http_version 1.1, proxy_set_header "
                           "Connection \"\", and a higher keepalive_requests)",
                       std::to_string(d.time_wait) + " TIME_WAIT from " + destination_string(d) + ": about " +
                           per_second(d.close_rate()) + " new connections closed by this host"});
    }
    if (size && r.worst_port_pressure >= k_pressure_advice) {
        const auto worst = std::max_element(clients.begin(), clients.end(), [size](const auto& a, const auto& b) {
            return a.port_pressure(size) < b.port_pressure(size);
        });
        const std::string evidence = destination_string(*worst) + " uses " + std::to_string(worst->all_states) + " of " +
                                     std::to_string(size) + " local ports (" + percent(r.worst_port_pressure) + ")";
        // 2 (the default) already reuses TIME_WAIT ports toward loopback peers.
        const IpAddress peer = worst->peer.address.unmapped();
        const bool loopback = (peer.family == k_family_inet && peer.bytes[0] == 127) ||
                              (peer.family == k_family_inet6 && peer == *parse_ip_address("::1"));
        const bool reuse_applies = r.totals.tw_reuse && (*r.totals.tw_reuse == 1 || (*r.totals.tw_reuse == 2 && loopback));
        if (!reuse_applies)
            out.push_back({"set net.ipv4.tcp_tw_reuse=1 so outbound connections can reuse ports in TIME_WAIT", evidence});
        out.push_back({"widen net.ipv4.ip_local_port_range (now " + std::to_string(r.totals.port_range->lo) + "-" +
                           std::to_string(r.totals.port_range->hi) + ") or spread connections over more source addresses",
                       evidence});
    }
    if (const auto share = r.totals.bucket_share(); share && *share >= k_pressure_advice)
        out.push_back({"reduce connection churn or raise net.ipv4.tcp_max_tw_buckets",
                       std::to_string(r.totals.time_wait) + " TIME_WAIT of " + std::to_string(*r.totals.max_tw_buckets) +
                           " buckets (" + percent(*share) + "); past the limit the kernel drops TIME_WAIT states early"});
    if (auto it = r.totals.counters.find("TCPTimeWaitOverflow"); it != r.totals.counters.end() && it->second > 0)
        out.push_back({"the TIME_WAIT table overflowed: reduce churn or raise net.ipv4.tcp_max_tw_buckets",
                       "TcpExt TCPTimeWaitOverflow = " + std::to_string(it->second) + " since boot"});
    if (!servers.empty() && servers.front().time_wait >= k_churn_time_wait)
        out.push_back({"this server closes first on port " + std::to_string(servers.front().port) +
                           ": keep client connections open longer (HTTP keepalive timeout, keepalive_requests) and "
                           "give long-lived ones a keepalive profile so idle ones are not dropped and reopened",
                       std::to_string(servers.front().time_wait) + " TIME_WAIT on local port " +
                           std::to_string(servers.front().port) + ": about " +
                           per_second(servers.front().close_rate()) + " closes"});
    return out;
}
}  // namespace

TimewaitReport build_timewait_report(std::string netns, TimewaitTotals totals, std::vector<ClientDestination> clients,
                                     std::vector<ServerPort> servers, std::size_t top) {
    TimewaitReport r;
    r.netns = std::move(netns);
    r.totals = std::move(totals);
    const auto size = r.totals.port_range_size();
    for (const auto& d : clients) {
        if (!r.worst_destination || d.port_pressure(size) > r.worst_port_pressure) {
            r.worst_port_pressure = d.port_pressure(size);
            r.worst_destination = d;
        }
    }
    r.advice = advise(r, clients, servers);
    r.clients = top_clients(std::move(clients), top);
    r.servers = top_servers(std::move(servers), top);
    return r;
}

}  // namespace kt
