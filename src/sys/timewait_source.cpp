#include "sys/timewait_source.hpp"

#include <optional>

#include "core/socket/proc_net.hpp"
#include "sys/diag_client.hpp"
#include "sys/files.hpp"

namespace kt::sys {

namespace {
class ListenersOnly : public SocketSink {
public:
    void on_socket(const SocketRecord& s) override { index.add(s); }
    ListenerIndex index;
};
}  // namespace

Result<TimewaitSample> sample_timewait(const NetnsTarget& ns) {
    TimewaitSample sample;
    std::optional<DiagSocket> socket;
    auto inside = run_in_netns(ns, [&]() -> Result<void> {
        auto s = DiagSocket::open();
        if (!s) return std::unexpected(s.error());
        socket.emplace(std::move(*s));
        // /proc/net and /proc/sys/net show the netns of the thread reading them.
        if (auto t = read_text_file("/proc/thread-self/net/sockstat", 1 << 16)) sample.totals.sockstat_tw = sockstat_time_wait(*t);
        if (auto t = read_text_file("/proc/thread-self/net/netstat", 1 << 20)) {
            for (auto& [name, value] : tcp_ext_counters(*t))
                if (name == "TW" || name == "TWRecycled" || name == "TWKilled" || name == "TCPTimeWaitOverflow")
                    sample.totals.counters.emplace(name, value);
        }
        if (auto t = read_text_file("/proc/sys/net/ipv4/tcp_max_tw_buckets", 64)) sample.totals.max_tw_buckets = sysctl_integer(*t);
        if (auto t = read_text_file("/proc/sys/net/ipv4/tcp_tw_reuse", 64)) sample.totals.tw_reuse = sysctl_integer(*t);
        if (auto t = read_text_file("/proc/sys/net/ipv4/ip_local_port_range", 64)) sample.totals.port_range = local_port_range(*t);
        return {};
    });
    if (!inside) return std::unexpected(inside.error());

    ListenersOnly listeners;
    if (auto r = socket->dump({0, state_bit(TcpState::listen), {}}, listeners); !r) return std::unexpected(r.error());
    TimewaitCounter counter(listeners.index);
    // TIME_WAIT only: the kernel skips every other socket for the price of the walk.
    if (auto r = socket->dump({0, state_bit(TcpState::time_wait), {}}, counter); !r) return std::unexpected(r.error());
    // Then the other states, only toward the destinations with the most TIME_WAIT, for port
    // pressure: the filter runs in the kernel, so established sockets elsewhere cost nothing
    // but the walk.
    if (const auto filter = pressure_filter(counter.clients(), k_pressure_destinations); !filter.empty()) {
        const StateMask others = k_all_states & ~state_bit(TcpState::listen) & ~state_bit(TcpState::time_wait);
        if (auto r = socket->dump({0, others, compile_bytecode(filter)}, counter); !r) return std::unexpected(r.error());
    }
    sample.totals.time_wait = counter.time_wait();
    sample.clients = counter.clients();
    sample.servers = counter.servers();
    return sample;
}

}  // namespace kt::sys
