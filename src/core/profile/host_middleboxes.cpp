#include "core/profile/host_middleboxes.hpp"

namespace kt {

Middlebox host_conntrack_middlebox(std::uint64_t established_timeout_seconds) {
    Middlebox m;
    m.id = k_host_conntrack_id;
    m.name = "this host's conntrack (net.netfilter.nf_conntrack_tcp_timeout_established)";
    m.idle_timeout_seconds = static_cast<std::uint32_t>(established_timeout_seconds > 0xffffffffu ? 0xffffffffu
                                                                                                 : established_timeout_seconds);
    m.configurable = "sysctl";
    m.refreshed_by_keepalive = true;
    m.note = "every connection of this network namespace crosses it while conntrack tracks flows here";
    return m;
}

Middlebox host_ipvs_middlebox(std::uint32_t tcp_timeout_seconds) {
    Middlebox m;
    m.id = k_host_ipvs_id;
    m.name = "this host's IPVS (ipvsadm --set tcp)";
    m.idle_timeout_seconds = tcp_timeout_seconds;
    m.configurable = "ipvsadm --set";
    m.refreshed_by_keepalive = true;
    m.note = "connections to IPVS virtual services (kube-proxy in ipvs mode) cross it";
    return m;
}

PathWithHost with_host_middleboxes(std::span<const std::string> path, std::span<const Middlebox> catalogue,
                                   std::span<const Middlebox> host) {
    PathWithHost out{{catalogue.begin(), catalogue.end()}, {path.begin(), path.end()}};
    for (const auto& m : host) {
        out.catalogue.push_back(m);
        out.path.push_back(m.id);
    }
    return out;
}

}  // namespace kt
