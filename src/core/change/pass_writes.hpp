// The writes of one BPF apply pass: each distinct setsockopt sequence once, and every socket
// (by cookie) with the number of the sequence it gets. Half a million sockets changed by one
// profile share a handful of sequences, so the kernel's map entry per socket stays small.
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "core/change/apply_plan.hpp"

namespace kt {

class PassWrites {
public:
    struct Socket {
        std::uint64_t cookie = 0;
        std::uint32_t sequence = 0;  // index into sequences()
    };

    void add(std::uint64_t cookie, const std::vector<OptionWrite>& writes);

    const std::vector<std::vector<OptionWrite>>& sequences() const { return m_sequences; }
    const std::vector<Socket>& sockets() const { return m_sockets; }
    std::size_t size() const { return m_sockets.size(); }
    std::uint64_t cookie(std::size_t i) const { return m_sockets[i].cookie; }
    // The writes of the i-th socket added.
    const std::vector<OptionWrite>& writes(std::size_t i) const { return m_sequences[m_sockets[i].sequence]; }

private:
    std::vector<std::vector<OptionWrite>> m_sequences;
    std::vector<Socket> m_sockets;
    std::map<std::vector<OptionWrite>, std::uint32_t> m_numbers;
};

}  // namespace kt
