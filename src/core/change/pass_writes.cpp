#include "core/change/pass_writes.hpp"

namespace kt {

void PassWrites::add(std::uint64_t cookie, const std::vector<OptionWrite>& writes) {
    // Sockets planned one after another mostly get the same sequence as the one before.
    if (!m_sockets.empty() && m_sequences[m_sockets.back().sequence] == writes) {
        m_sockets.push_back({cookie, m_sockets.back().sequence});
        return;
    }
    auto [at, added] = m_numbers.try_emplace(writes, static_cast<std::uint32_t>(m_sequences.size()));
    if (added) m_sequences.push_back(writes);
    m_sockets.push_back({cookie, at->second});
}

}  // namespace kt
