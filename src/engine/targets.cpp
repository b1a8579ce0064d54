#include "engine/targets.hpp"

#include <set>

#include "sys/container_processes.hpp"

namespace kt::engine {

Result<sys::SocketSelection> socket_selection(const TargetOptions& t) {
    sys::SocketSelection s;
    if (!t.roles.empty()) {
        auto roles = parse_role_list(t.roles, "--role");
        if (!roles) return std::unexpected(roles.error());
        s.roles = *roles;
    }
    for (const auto& p : t.ports) {
        auto r = parse_port_range(p, "--port");
        if (!r) return std::unexpected(r.error());
        s.ports.push_back(*r);
    }
    for (const auto& p : t.peers) {
        auto c = parse_cidr(p, "--peer");
        if (!c) return std::unexpected(c.error());
        s.peers.push_back(*c);
    }
    return s;
}

namespace {
Errors no_match(std::size_t processes) {
    return {{"target", "no matching TCP sockets (listeners or connections) in " + std::to_string(processes) +
                           " process(es); `keepalive-tune inspect -p --pid PID` shows what they hold"}};
}
}  // namespace

std::expected<std::vector<std::int32_t>, Errors> target_pids(const TargetOptions& t) {
    std::vector<std::int32_t> given = t.pids;
    Errors errors;
    auto add = [&](const Result<std::vector<std::int32_t>>& in) {
        if (!in) errors.push_back(in.error());
        else given.insert(given.end(), in->begin(), in->end());
    };
    if (!t.pod.empty()) add(sys::processes_of_pod(t.pod));
    if (!t.container.empty()) add(sys::processes_of_container(t.container));
    if (!errors.empty()) return std::unexpected(errors);
    return sys::resolve_targets({given, t.comms, t.cgroups, "/proc", ""});
}

std::expected<std::vector<sys::FoundSocket>, Errors> find_targets(const TargetOptions& t,
                                                                  const sys::SocketSelection& selection, bool allow_none) {
    auto pids = target_pids(t);
    if (!pids) return std::unexpected(pids.error());
    auto found = sys::find_target_sockets(*pids, selection);
    if (!found) return found;
    if (found->empty() && !allow_none) return std::unexpected(no_match(pids->size()));
    return found;
}

std::expected<EngineTargets, Errors> find_engine_targets(const TargetOptions& t, const sys::SocketSelection& selection,
                                                         SocketEngine& engine, bool allow_none) {
    auto pids = target_pids(t);
    if (!pids) return std::unexpected(pids.error());
    // The engine starts reading the targets' namespaces first, on a thread of its own, so that
    // its pass runs beside finding the targets.
    engine.prefetch(*pids);
    // The engine may know every process's sockets already (one BPF task-file pass instead of a
    // /proc link per descriptor of each target).
    std::optional<sys::OwnerScan> owners;
    if (auto files = engine.socket_files()) {
        const std::set<std::int32_t> wanted(pids->begin(), pids->end());
        std::erase_if(*files, [&](const SocketFile& f) { return !wanted.count(f.pid); });
        owners = sys::owner_scan_of(*files);
    }
    const sys::SocketOwnerIndex* index = owners ? &owners->index : nullptr;
    // The engine's own pass where it has one, a sock_diag dump of the namespaces otherwise.
    auto find = [&](const sys::SocketSelection& wanted) {
        if (index)
            if (auto in_pass = engine.find_in_pass(wanted, *index)) return std::move(*in_pass);
        return sys::find_target_sockets(*pids, wanted, "/proc", index);
    };
    const bool queues = std::string_view(engine.name()) == "bpf" && (selection.roles & role_bit(SocketRole::accepted));
    if (!queues) {
        auto found = find(selection);
        if (!found) return std::unexpected(found.error());
        if (found->empty() && !allow_none) return std::unexpected(no_match(pids->size()));
        return EngineTargets{std::move(*found), {}};
    }
    // One scan finds the targets and their listeners, whose queued connections are matched
    // against the selection one by one later.
    sys::SocketSelection wide;
    wide.roles = static_cast<std::uint8_t>(selection.roles | role_bit(SocketRole::listener));
    auto all = find(wide);
    if (!all) return std::unexpected(all.error());
    EngineTargets out;
    for (const auto& f : *all)
        if (f.ref.role == SocketRole::listener) out.queue_listeners.push_back(f);
    // The targets are the scan's sockets narrowed in place: half a million of them are not copied.
    std::erase_if(*all, [&](const sys::FoundSocket& f) { return !selection.matches(f.ref); });
    out.sockets = std::move(*all);
    if (out.sockets.empty() && !allow_none) return std::unexpected(no_match(pids->size()));
    return out;
}

}  // namespace kt::engine
