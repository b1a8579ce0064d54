#include "core/trace/end_counts.hpp"

#include <algorithm>
#include <tuple>
#include <unordered_map>

#include "core/socket/ip_text.hpp"

namespace kt {

EndCountsReport end_counts_report(const EndCounters& counters, std::span<const ChosenNetns> chosen, std::size_t top) {
    EndCountsReport out;
    // Every map entry is placed: with --all-netns, hundreds of namespaces.
    std::unordered_map<std::uint32_t, std::ptrdiff_t> by_inode;
    for (std::size_t i = 0; i < chosen.size(); ++i) by_inode.emplace(chosen[i].inode, static_cast<std::ptrdiff_t>(i));
    auto index_of = [&](std::uint32_t inode) -> std::ptrdiff_t {
        const auto it = by_inode.find(inode);
        return it == by_inode.end() ? -1 : it->second;
    };
    for (const auto& c : chosen) out.netns.push_back({c.label, {}});
    for (const auto& t : counters.totals) {
        const auto i = index_of(t.netns_inode);
        const auto reason = static_cast<std::size_t>(t.reason);
        if (i < 0 || reason >= k_end_reason_count) continue;
        out.netns[static_cast<std::size_t>(i)].by_reason[reason] += t.count;
    }
    for (const auto& d : counters.destinations) {
        const auto i = index_of(d.netns_inode);
        if (i < 0 || static_cast<std::size_t>(d.reason) >= k_end_reason_count) continue;
        out.destinations.push_back({chosen[static_cast<std::size_t>(i)].label, d.reason, endpoint_string(d.peer), d.count});
    }
    // Largest first; ties in a fixed order, so that two runs on the same counts agree.
    auto order = [](const EndCountsReport::Destination& a, const EndCountsReport::Destination& b) {
        return std::tie(b.count, a.netns, a.reason, a.destination) < std::tie(a.count, b.netns, b.reason, b.destination);
    };
    const std::size_t keep = std::min(top, out.destinations.size());
    std::partial_sort(out.destinations.begin(), out.destinations.begin() + static_cast<std::ptrdiff_t>(keep),
                      out.destinations.end(), order);
    out.destinations.resize(keep);
    return out;
}

}  // namespace kt
