// `keepalive-tune trace`: each TCP connection that ends badly, as it ends, with the reason in
// keepalive terms, its netns and its owner.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/text/error.hpp"
#include "sys/netns.hpp"

namespace kt::engine {

struct TraceOptions {
    std::string duration;  // empty: until SIGINT/SIGTERM or --count
    std::uint64_t count = 0;
    bool all = false;
    bool summary = false;
    bool json = false;
    std::vector<std::string> ports;    // local or peer port (ranges)
    std::vector<std::string> peers;    // CIDRs
    std::vector<std::string> reasons;  // end reason names
    sys::NetnsChoice netns;
    std::vector<std::int32_t> pids;
    std::vector<std::string> comms;
    std::string roles;  // listener, accepted, upstream, comma-separated; empty: all
    std::size_t top = 10;
    std::size_t ring_bytes = 8u << 20;
};

// The exit code: 0 when it ran to its end (duration, count or a signal).
std::expected<int, Errors> run_trace(const TraceOptions& options);

}  // namespace kt::engine
