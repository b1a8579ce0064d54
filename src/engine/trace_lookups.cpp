#include "engine/trace_lookups.hpp"

#include "core/socket/tcp_state.hpp"
#include "engine/inspect_sink.hpp"
#include "sys/diag_client.hpp"

namespace kt::engine {

const sys::NetnsTarget* TraceNamespaces::find(std::uint32_t inode) {
    if (auto it = m_targets.find(inode); it != m_targets.end()) return &it->second;
    const auto now = std::chrono::steady_clock::now();
    if (now - m_read < std::chrono::seconds(1)) return nullptr;
    m_read = now;
    Errors ignored;
    if (auto all = sys::select_netns({"", 0, true, "", ""}, ignored))
        for (auto& t : *all) m_targets[static_cast<std::uint32_t>(t.inode)] = std::move(t);
    if (auto it = m_targets.find(inode); it != m_targets.end()) return &it->second;
    return nullptr;
}

std::string TraceNamespaces::label(std::uint32_t inode) {
    if (const auto* t = find(inode)) return t->label;
    return "netns:" + std::to_string(inode);
}

bool TraceRoles::refresh(std::uint32_t netns_inode, Listeners& l) {
    const auto now = std::chrono::steady_clock::now();
    if (l.read && now - l.at < std::chrono::seconds(1)) return false;
    l.at = now;
    const auto* target = m_namespaces.find(netns_inode);
    if (!target) return false;
    auto socket = sys::open_diag_socket_in(*target);
    if (!socket) return false;
    ListenerIndex fresh;
    ListenerSink sink(fresh);
    if (!socket->dump({0, state_bit(TcpState::listen), {}, false}, sink)) return false;
    l.index = std::move(fresh);
    l.read = true;
    return true;
}

std::optional<SocketRole> TraceRoles::role(const ConnectionEnd& e) {
    if (e.kind == EndKind::reset_sent && !e.has_socket) return std::nullopt;
    const auto state = static_cast<TcpState>(e.old_state);
    if (state == TcpState::listen) return SocketRole::listener;
    if (state == TcpState::syn_sent) return SocketRole::upstream;
    if (state == TcpState::syn_recv) return SocketRole::accepted;
    // Made while trace ran: the program saw how.
    if (e.side == EndSide::accepted) return SocketRole::accepted;
    if (e.side == EndSide::upstream) return SocketRole::upstream;
    auto& l = m_listeners[e.netns_inode];
    if (!l.read && !refresh(e.netns_inode, l)) return std::nullopt;
    auto role = l.index.role_of(e.old_state, e.local);
    if (role == SocketRole::upstream && refresh(e.netns_inode, l)) role = l.index.role_of(e.old_state, e.local);
    return role;
}

const sys::SocketOwner* TraceOwners::find(std::uint32_t inode, std::string& comm) {
    if (const auto* o = lookup(inode, comm)) return o;
    const auto now = std::chrono::steady_clock::now();
    if (now - m_read < std::chrono::milliseconds(100)) return nullptr;
    m_read = now;
    m_scan = scan();
    return lookup(inode, comm);
}

sys::OwnerScan TraceOwners::scan() {
    if (!m_iterator_tried) {
        m_iterator_tried = true;
        if (auto it = sys::SocketIterator::load(sys::SocketIterator::owners)) m_iterator = std::move(*it);
    }
    if (m_iterator)
        if (auto files = m_iterator->socket_files()) return sys::owner_scan_of(*files);
    return sys::scan_socket_owners({"/proc", {}, {}});
}

const sys::SocketOwner* TraceOwners::lookup(std::uint32_t inode, std::string& comm) {
    if (!m_scan) return nullptr;
    const auto* o = m_scan->index.find(inode);
    if (o) comm = std::string(m_scan->index.comm(o->pid));
    return o;
}

}  // namespace kt::engine
