#include "engine/check_scan.hpp"

#include "sys/bpf_end_counters.hpp"
#include "sys/bpf_enforce.hpp"

namespace kt::engine {

std::expected<CheckScan, Errors> scan_for_check(const HealthOptions& health, sys::SocketIterator* iterator) {
    CheckScan out;
    auto reports = timewait_reports({health.netns, health.netns_of, health.all_netns, health.pod, health.container},
                                    health.top, false, out.warnings);
    if (!reports) return std::unexpected(reports.error());
    out.input.reports = std::move(*reports);
    HealthOptions counted = health;
    // The BPF iterator where it loads: only it sees the peers' keepalive probes, without which
    // a connection past a NAT's timeout is unverified rather than counted as dropped.
    counted.engine = "auto";
    HealthRequest request{&counted};
    request.keep_verdicts = 0;
    request.look_up_owners = false;
    request.count_ports = true;
    request.iterator = iterator;
    auto scan = scan_health(request);
    if (!scan) return std::unexpected(scan.error());
    out.health = std::make_unique<HealthScan>(std::move(*scan));
    for (auto& w : out.health->warnings) out.warnings.push_back(std::move(w));
    out.health->warnings.clear();
    out.input.health = &out.health->report;
    // Profiles pinned by enforce whose cgroups a restart replaced no longer apply to anything.
    if (auto pins = sys::list_enforced())
        for (const auto& pin : *pins)
            out.input.enforced.push_back({pin.config.cgroup_path, pin.config.profile, pin.cgroup_exists});
    else
        out.warnings.push_back(pins.error());
    // Ends counted between this run and the last, when the counting programs are installed.
    if (auto counters = sys::read_end_counters(); !counters) {
        out.warnings.push_back(counters.error());
    } else if (*counters) {
        // The namespaces the health scan read, with the labels its series carry.
        std::vector<ChosenNetns> chosen;
        for (const auto& n : out.health->report.netns) chosen.push_back({static_cast<std::uint32_t>(n.inode), n.label});
        out.input.connection_ends = end_counts_report(**counters, chosen, health.top);
    }
    return out;
}

}  // namespace kt::engine
