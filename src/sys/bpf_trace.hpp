// The trace program: each TCP connection's end, from the kernel's tracepoints, handed to user
// space through a ring buffer as kt_end_record bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/text/error.hpp"

namespace kt::sys {

class EndTracer {
public:
    struct Options {
        bool all = false;                    // normal closes too
        std::size_t ring_bytes = 8u << 20;   // a power of two, at least a page
        std::uint32_t netns_inode = 0;       // only this network namespace; 0 for every one
        // Mark each connection made while tracing with its side (socket storage): up to a tenth
        // of a churning host's connection rate (BENCHMARKS.md), so only where --role selects.
        bool sides = false;
    };
    // Loads and attaches the programs. The error says why they cannot run here (no
    // CAP_BPF/CAP_PERFMON, no kernel BTF, a build without BPF).
    static Result<std::unique_ptr<EndTracer>> load(const Options& options);
    ~EndTracer();
    EndTracer(const EndTracer&) = delete;
    EndTracer& operator=(const EndTracer&) = delete;

    // Waits up to `timeout_ms` for records and hands each over, in the order they were
    // written; returns how many. EINTR (a signal) is not an error: it returns 0.
    Result<int> poll(int timeout_ms, const std::function<void(std::span<const std::uint8_t>)>& on_record);
    // Records the ring buffer had no room for, since the load.
    std::uint64_t dropped() const;
    // Jiffies per second (CONFIG_HZ), never 0.
    std::uint32_t hz() const;
    // enum sk_rst_reason's names by value in the running kernel (SK_RST_REASON_ dropped); empty
    // where the kernel has no such enum (before 6.10).
    const std::vector<std::string>& reset_reasons() const;

    struct Impl;

private:
    explicit EndTracer(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> m_impl;
};

}  // namespace kt::sys
