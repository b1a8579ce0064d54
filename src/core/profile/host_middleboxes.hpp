// The middleboxes a host carries itself, on every path of its connections: its conntrack
// table (nf_conntrack_tcp_timeout_established) and IPVS (ipvsadm --set tcp). They go into the
// budget of `profile show` and `profile check` next to the path's own middleboxes.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/profile/catalogue.hpp"

namespace kt {

inline constexpr const char* k_host_conntrack_id = "host-conntrack";
inline constexpr const char* k_host_ipvs_id = "host-ipvs";

Middlebox host_conntrack_middlebox(std::uint64_t established_timeout_seconds);
Middlebox host_ipvs_middlebox(std::uint32_t tcp_timeout_seconds);

// The catalogue with the host's middleboxes added, and a path with their ids appended.
struct PathWithHost {
    std::vector<Middlebox> catalogue;
    std::vector<std::string> path;
};
PathWithHost with_host_middleboxes(std::span<const std::string> path, std::span<const Middlebox> catalogue,
                                   std::span<const Middlebox> host);

}  // namespace kt
