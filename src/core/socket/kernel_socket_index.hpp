// One iterator pass's records, found by socket cookie (the key sock_diag reports too).
#pragma once

#include <bit>
#include <cstdint>
#include <optional>
#include <vector>

#include "core/socket/kernel_socket.hpp"

namespace kt {

// A flat open-addressing table built once over the whole pass and only read afterwards: a node
// per socket in a std::unordered_map cost a tenth of the pass that made the records.
// Records are found by the integer member Key (a socket's cookie or inode), never 0.
template <class Record, auto Key>
class RecordIndex {
public:
    RecordIndex() = default;
    explicit RecordIndex(std::vector<Record> records) : m_records(std::move(records)) {
        // At most half full, so a probe sequence stays short.
        const std::size_t size = std::bit_ceil(std::max<std::size_t>(m_records.size() * 2, 16));
        m_slots.assign(size, 0);
        m_mask = size - 1;
        m_shift = static_cast<unsigned>(64 - std::countr_zero(size));
        for (std::size_t i = 0; i < m_records.size(); ++i) {
            std::uint64_t slot = home(m_records[i].*Key);
            // A key given twice keeps its later record.
            while (m_slots[slot] != 0 && m_records[m_slots[slot] - 1].*Key != m_records[i].*Key)
                slot = (slot + 1) & m_mask;
            m_slots[slot] = static_cast<std::uint32_t>(i + 1);
        }
    }

    // The record with this key, or null.
    const Record* find(std::uint64_t key) const {
        if (m_slots.empty()) return nullptr;
        for (std::uint64_t slot = home(key);; slot = (slot + 1) & m_mask) {
            const std::uint32_t at = m_slots[slot];
            if (at == 0) return nullptr;
            if (m_records[at - 1].*Key == key) return &m_records[at - 1];
        }
    }
    const std::vector<Record>& records() const { return m_records; }
    std::size_t size() const { return m_records.size(); }

private:
    // Fibonacci hashing: cookies and inodes are handed out in sequence, and the multiply
    // spreads them over the top bits, which pick the slot.
    std::uint64_t home(std::uint64_t key) const { return (key * 0x9e3779b97f4a7c15ULL) >> m_shift; }

    std::vector<Record> m_records;
    std::vector<std::uint32_t> m_slots;  // 1 + position in m_records; 0 = empty
    std::uint64_t m_mask = 0;
    unsigned m_shift = 64;
};

// Records by socket cookie: KernelSocket, SocketOptionsRecord or AppliedSocket.
template <class Record>
using CookieIndex = RecordIndex<Record, &Record::cookie>;

// Exact values of one namespace's sockets: the records with what reading them needs.
struct ExactValues {
    CookieIndex<SocketOptionsRecord> sockets;
    std::uint32_t hz = 0;
    KeepaliveDefaults defaults;

    // The iterator does not see TIME_WAIT or request sockets, which have no options.
    std::optional<ExactOptions> find(std::uint64_t cookie) const {
        const SocketOptionsRecord* k = sockets.find(cookie);
        if (!k) return std::nullopt;
        return exact_options(*k, hz, defaults);
    }
};

}  // namespace kt
