#include "sys/target_sockets.hpp"

#include <map>
#include <optional>

#include "core/socket/inspect_query.hpp"
#include "sys/diag_client.hpp"
#include "sys/netns.hpp"
#include "sys/socket_owners.hpp"

namespace kt::sys {

bool SocketSelection::matches(const SocketRef& s) const {
    if (!(roles & role_bit(s.role))) return false;
    if (!ports.empty()) {
        bool any = false;
        for (const auto& p : ports) any = any || p.contains(s.local.port) || p.contains(s.peer.port);
        if (!any) return false;
    }
    if (!peers.empty()) {
        bool any = false;
        for (const auto& c : peers) any = any || c.contains(s.peer.address);
        if (!any) return false;
    }
    return true;
}

namespace {
// Keeps the records of the sockets the targets hold, and every listener for the roles.
class OwnedSockets : public SocketSink {
public:
    explicit OwnedSockets(const SocketOwnerIndex& owners) : m_owners(owners) {}
    void on_socket(const SocketRecord& s) override {
        if (s.state == static_cast<std::uint8_t>(TcpState::listen)) listeners.add(s);
        if (m_owners.find(s.inode)) records.push_back(s);
    }
    ListenerIndex listeners;
    std::vector<SocketRecord> records;

private:
    const SocketOwnerIndex& m_owners;
};
}  // namespace

std::expected<std::vector<FoundSocket>, Errors> find_target_sockets(const std::vector<std::int32_t>& pids,
                                                                    const SocketSelection& selection,
                                                                    const std::string& proc_root,
                                                                    const SocketOwnerIndex* owners) {
    OwnerScan scan;
    if (!owners) {
        scan = scan_socket_owners({proc_root, pids, {}});
        if (!scan.problems.empty()) return std::unexpected(scan.problems);
        owners = &scan.index;
    }

    // One dump per network namespace the targets live in; the caller's own needs no setns.
    auto self = current_netns(proc_root);
    std::map<std::uint64_t, NetnsTarget> namespaces;
    Errors errors;
    for (auto pid : pids) {
        auto ns = netns_of_pid(pid, proc_root);
        if (!ns) {
            errors.push_back({"pid " + std::to_string(pid), ns.error().why});
            continue;
        }
        if (self && ns->inode == self->inode) ns->path.clear();
        namespaces.try_emplace(ns->inode, *ns);
    }
    if (!errors.empty()) return std::unexpected(errors);

    std::vector<FoundSocket> found;
    for (const auto& [inode, ns] : namespaces) {
        auto socket = open_diag_socket_in(ns);
        if (!socket) return std::unexpected(Errors{socket.error()});
        OwnedSockets owned(*owners);
        auto dump = socket->dump({0, k_default_inspect_states, {}}, owned);
        if (!dump) return std::unexpected(Errors{dump.error()});
        for (const auto& r : owned.records) {
            const SocketOwner* owner = owners->find(r.inode);
            FoundSocket f;
            f.ref = SocketRef{owner->pid, owner->fd, r.inode, owned.listeners.role_of(r), r.state, r.local, r.peer};
            f.timer = static_cast<std::uint8_t>(r.timer);
            f.expires_ms = r.expires_ms;
            if (selection.matches(f.ref)) found.push_back(f);
        }
    }
    return found;
}

}  // namespace kt::sys
