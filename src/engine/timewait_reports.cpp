#include "engine/timewait_reports.hpp"

#include "sys/netns.hpp"
#include "sys/timewait_source.hpp"

namespace kt::engine {

std::expected<std::vector<TimewaitReport>, Errors> timewait_reports(const NetnsChoice& choice, std::size_t top,
                                                                    bool merge_by_peer, Errors& warnings) {
    auto namespaces = sys::select_netns(choice, warnings);
    if (!namespaces) return std::unexpected(Errors{namespaces.error()});
    std::vector<TimewaitReport> reports;
    for (const auto& ns : *namespaces) {
        auto sample = sys::sample_timewait(ns);
        if (!sample) {
            if (namespaces->size() == 1) return std::unexpected(Errors{sample.error()});
            warnings.push_back(sample.error());
            continue;
        }
        auto clients = merge_by_peer ? by_peer(sample->clients) : std::move(sample->clients);
        reports.push_back(build_timewait_report(ns.label, std::move(sample->totals), std::move(clients),
                                                std::move(sample->servers), top));
        reports.back().identity = ns.identity;
    }
    if (reports.empty()) return std::unexpected(warnings);
    return reports;
}

}  // namespace kt::engine
