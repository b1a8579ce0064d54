// The host's own middleboxes, read in a network namespace: conntrack when it tracks flows
// there, IPVS when the kernel has it (generic netlink, IPVS_CMD_GET_CONFIG).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "core/profile/catalogue.hpp"
#include "core/text/error.hpp"
#include "sys/netns.hpp"

namespace kt::sys {

struct IpvsTimeouts {
    std::uint32_t tcp_seconds = 0;
    std::uint32_t tcp_fin_seconds = 0;
    std::uint32_t udp_seconds = 0;
};

// IPVS's timeouts in the calling thread's netns; nullopt when the kernel has no IPVS (the
// generic netlink family is not registered).
Result<std::optional<IpvsTimeouts>> read_ipvs_timeouts();

// The middleboxes of `ns` itself. What cannot be read is left out, with a warning.
std::vector<Middlebox> host_middleboxes(const NetnsTarget& ns, Errors& warnings);

}  // namespace kt::sys
