// What a network namespace's kernel contributes to a connection's health: its keepalive and
// retransmission defaults, and its own conntrack table when one tracks flows there.
#pragma once

#include <cstdint>
#include <optional>

#include "core/health/health.hpp"
#include "sys/netns.hpp"

namespace kt::sys {

struct NetnsHealthFacts {
    KernelDefaults defaults;
    // nf_conntrack_tcp_timeout_established, when conntrack tracks flows in this namespace
    // (the module is loaded and nf_conntrack_count is above 0): every connection crosses it.
    std::optional<std::uint64_t> conntrack_timeout_ms;
};

// Values that cannot be read keep the kernel's defaults.
NetnsHealthFacts read_health_facts(const NetnsTarget& ns);

}  // namespace kt::sys
