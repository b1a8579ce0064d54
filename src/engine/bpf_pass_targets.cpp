#include "engine/bpf_pass_targets.hpp"

#include <algorithm>

#include "core/socket/tcp_state.hpp"

namespace kt::engine {

PassSocket pass_socket_of(const KernelSocket& k) {
    return {k.cookie,          k.inode,         k.idle_jiffies, k.interval_jiffies,
            k.user_timeout_ms, k.timer_jiffies, k.local,        k.peer,
            k.state,           k.count,         k.keepalive,    k.timer};
}

PassSocket pass_socket_of(const PlannedSocket& k) {
    PassSocket s;
    s.cookie = k.cookie;
    s.inode = k.inode;
    s.idle_jiffies = k.before.idle_jiffies;
    s.interval_jiffies = k.before.interval_jiffies;
    s.user_timeout_ms = k.before.user_timeout_ms;
    s.local = k.local;
    s.peer = k.peer;
    s.state = k.state;
    s.count = k.before.count;
    s.keepalive = k.before.keepalive;
    s.timer = k.timer;
    s.timer_jiffies = k.timer_jiffies;
    return s;
}

PassTargets pass_targets_of(std::vector<NetnsView>&& views, const ChosenSockets* chosen) {
    PassTargets out;
    auto kept = [&](std::size_t ns, std::size_t i) {
        return views[ns].sockets[i].inode && (!chosen || (*chosen)[ns][i]);
    };
    std::size_t count = 0;
    for (std::size_t ns = 0; ns < views.size(); ++ns)
        for (std::size_t i = 0; i < views[ns].sockets.size(); ++i) count += kept(ns, i);
    std::vector<PassOptions> options;
    options.reserve(count);
    for (std::size_t ns = 0; ns < views.size(); ++ns) {
        auto& v = views[ns];
        PassTargets::Netns n{std::move(v.target), v.defaults, {}, {}};
        for (std::size_t i = 0; i < v.sockets.size(); ++i) {
            const auto& k = v.sockets[i];
            if (k.state == static_cast<std::uint8_t>(TcpState::listen))
                n.listeners.push_back(k);
            else if (in_accept_queue(k.inode, k.state))
                n.queued.push_back(k);
            if (kept(ns, i))
                options.push_back({k.cookie, k.inode, static_cast<std::uint32_t>(ns), k.idle_jiffies,
                                   k.interval_jiffies, k.user_timeout_ms, k.count, k.keepalive});
        }
        std::vector<PassSocket>().swap(v.sockets);
        out.namespaces.push_back(std::move(n));
    }
    out.by_inode = RecordIndex<PassOptions, &PassOptions::inode>(std::move(options));
    return out;
}

InodeOwners::InodeOwners(const std::vector<HeldSocket>& held) {
    if (held.empty()) return;
    std::uint32_t low = held.front().inode, high = low;
    for (const auto& h : held) {
        low = std::min(low, h.inode);
        high = std::max(high, h.inode);
    }
    const std::uint64_t span = std::uint64_t{high} - low + 1;
    // Eight bytes a number of the span: dense while that is at most a few times the sockets.
    if (span <= 4 * held.size() + 65536) {
        m_low = low;
        m_dense.resize(span);
        for (const auto& h : held) {
            auto& slot = m_dense[h.inode - low];
            if (slot.pid == 0) slot = h.owner;
        }
        return;
    }
    m_sparse = std::make_unique<sys::SocketOwnerIndex>(held.size());
    for (const auto& h : held) m_sparse->insert(h.inode, h.owner);
}

const sys::SocketOwner* InodeOwners::find(std::uint32_t inode) const {
    if (m_sparse) return m_sparse->find(inode);
    if (inode < m_low || inode - m_low >= m_dense.size()) return nullptr;
    const auto& slot = m_dense[inode - m_low];
    return slot.pid ? &slot : nullptr;
}

std::expected<std::vector<NetnsView>, Errors> read_namespace_views(sys::SocketIterator& it,
                                                                  const std::vector<std::int32_t>& pids,
                                                                  bool skip_missing) {
    Errors warnings;
    auto targets = sys::namespaces_of(pids, warnings);
    if (!warnings.empty() && !skip_missing) return std::unexpected(warnings);
    std::vector<NetnsView> views;
    for (auto& t : targets) {
        auto defaults = sys::read_keepalive_defaults(t);
        if (!defaults) return std::unexpected(Errors{defaults.error()});
        // Each record is kept compact as it arrives: the pass is never held as raw records.
        std::vector<PassSocket> sockets;
        auto read = it.each(t, sys::SocketIterator::Fields::all,
                            [&](const KernelSocket& k) { sockets.push_back(pass_socket_of(k)); });
        if (!read) return std::unexpected(Errors{read.error()});
        views.push_back({std::move(t), *defaults, std::move(sockets)});
    }
    return views;
}

Result<TargetOwners> read_target_owners(sys::SocketIterator& it, const std::vector<std::int32_t>& pids) {
    std::vector<std::int32_t> wanted(pids);
    std::sort(wanted.begin(), wanted.end());
    std::vector<HeldSocket> held;
    std::vector<std::int32_t> holders;
    std::int32_t last = 0;
    bool last_wanted = false;
    auto files = it.each_socket_file([&](const SocketFile& f) {
        // A process's files come together, in pid order.
        if (f.pid != last) {
            last = f.pid;
            last_wanted = std::binary_search(wanted.begin(), wanted.end(), f.pid);
            if (last_wanted) holders.push_back(f.pid);
        }
        if (last_wanted && f.inode) held.push_back({f.inode, {f.pid, f.fd}});
    });
    if (!files) return std::unexpected(files.error());
    std::vector<std::uint32_t> inodes;
    inodes.reserve(held.size());
    for (const auto& h : held) inodes.push_back(h.inode);
    return TargetOwners{InodeOwners(held), std::move(inodes), std::move(holders)};
}

}  // namespace kt::engine
