#include "engine/bpf_pass_targets.hpp"

#include "core/socket/tcp_state.hpp"

namespace kt::engine {

PassSocket pass_socket_of(const KernelSocket& k) {
    return {k.cookie,          k.inode,         k.idle_jiffies, k.interval_jiffies,
            k.user_timeout_ms, k.timer_jiffies, k.local,        k.peer,
            k.state,           k.count,         k.keepalive,    k.timer};
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

}  // namespace kt::engine
