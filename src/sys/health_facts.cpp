#include "sys/health_facts.hpp"

#include "core/text/number_parse.hpp"
#include "sys/sysctl.hpp"

namespace kt::sys {

namespace {
std::optional<std::uint64_t> sysctl_number(const NetnsTarget& ns, const char* name) {
    auto text = read_sysctl(ns, name);
    if (!text) return std::nullopt;
    auto n = parse_whole_number(*text, 0, UINT32_MAX);
    return n ? std::optional<std::uint64_t>(*n) : std::nullopt;
}
}  // namespace

NetnsHealthFacts read_health_facts(const NetnsTarget& ns) {
    NetnsHealthFacts f;
    auto set = [&](const char* name, std::uint32_t& out) {
        if (auto v = sysctl_number(ns, name)) out = static_cast<std::uint32_t>(*v);
    };
    set("net.ipv4.tcp_keepalive_time", f.defaults.keepalive_time_s);
    set("net.ipv4.tcp_keepalive_intvl", f.defaults.keepalive_intvl_s);
    set("net.ipv4.tcp_keepalive_probes", f.defaults.keepalive_probes);
    set("net.ipv4.tcp_retries2", f.defaults.tcp_retries2);
    set("net.ipv4.tcp_syn_retries", f.defaults.tcp_syn_retries);
    const auto count = sysctl_number(ns, "net.netfilter.nf_conntrack_count");
    const auto timeout = sysctl_number(ns, "net.netfilter.nf_conntrack_tcp_timeout_established");
    if (count && *count > 0 && timeout) f.conntrack_timeout_ms = *timeout * 1000;
    return f;
}

}  // namespace kt::sys
