// What the BPF engine keeps of an iterator pass between finding its targets and planning
// them. A pass over half a million sockets arrives as 120-byte records; apply and verify need
// the keepalive options of the sockets they plan (32 bytes each, by inode) and, for accept
// queues, each namespace's listeners and waiting connections (few), so the rest is let go
// before the plans are made.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "core/socket/kernel_socket.hpp"
#include "core/socket/kernel_socket_index.hpp"
#include "sys/bpf_sockets.hpp"
#include "sys/netns.hpp"
#include "sys/socket_owners.hpp"

namespace kt::engine {

// A socket of a pass with its tuple: listeners, queued connections and undo's restores.
struct PassSocket {
    std::uint64_t cookie = 0;
    std::uint32_t inode = 0;
    std::uint32_t idle_jiffies = 0, interval_jiffies = 0, user_timeout_ms = 0, timer_jiffies = 0;
    Endpoint local, peer;
    std::uint8_t state = 0, count = 0;
    bool keepalive = false;
    DiagTimer timer = DiagTimer::none;
};
PassSocket pass_socket_of(const KernelSocket& k);
// A listener or a connection without a file from a plan pass, with its options before.
PassSocket pass_socket_of(const PlannedSocket& k);

// A socket of a pass that may be planned: its options alone.
struct PassOptions {
    std::uint64_t cookie = 0;
    std::uint32_t inode = 0;
    std::uint32_t netns = 0;  // index into PassTargets::namespaces
    std::uint32_t idle_jiffies = 0, interval_jiffies = 0, user_timeout_ms = 0;
    std::uint8_t count = 0;
    bool keepalive = false;
};

// Every socket of one namespace, as a pass read it.
struct NetnsView {
    sys::NetnsTarget target;
    KeepaliveDefaults defaults;
    std::vector<PassSocket> sockets;
};

// The namespaces of `pids`, each read in one pass. Not seeing a process's namespace is a
// refusal (nothing changes) unless `skip_missing` (undo: the process may have exited).
std::expected<std::vector<NetnsView>, Errors> read_namespace_views(sys::SocketIterator& it,
                                                                  const std::vector<std::int32_t>& pids,
                                                                  bool skip_missing);

struct PassTargets {
    struct Netns {
        sys::NetnsTarget target;
        KeepaliveDefaults defaults;
        std::vector<PassSocket> listeners;
        std::vector<PassSocket> queued;  // established, not yet accepted: no inode
    };
    std::vector<Netns> namespaces;
    RecordIndex<PassOptions, &PassOptions::inode> by_inode;
};

// The sockets of `views` with an inode that `chosen` marks (chosen[n][i]: the i-th socket of
// the n-th view; null: all of them), with every listener and queued connection. Each view is
// released as soon as it has been gone through.
using ChosenSockets = std::vector<std::vector<bool>>;
PassTargets pass_targets_of(std::vector<NetnsView>&& views, const ChosenSockets* chosen);

// A socket file a target process holds: the inode and its holder.
struct HeldSocket {
    std::uint32_t inode = 0;
    sys::SocketOwner owner;
};

// Who holds each target socket, by inode. Socket inodes come from one counter, so a host's
// target sockets usually span few more numbers than there are of them: an array over the span
// is looked up with one access, where a hash table spreads them over random slots (its lookups
// and inserts were a third of the time of the thread that handles an apply pass's records at
// 500k sockets). A span much wider than the count falls back to a hash table.
class InodeOwners {
public:
    // `held` in the task-file pass's order: the first holder of a shared socket is kept (the
    // lowest pid, then fd, as the /proc scan picks).
    explicit InodeOwners(const std::vector<HeldSocket>& held);
    const sys::SocketOwner* find(std::uint32_t inode) const;
    bool dense() const { return !m_sparse; }

private:
    std::uint32_t m_low = 0;
    std::vector<sys::SocketOwner> m_dense;  // pid 0: none
    std::unique_ptr<sys::SocketOwnerIndex> m_sparse;
};

// Who holds which socket among the processes `pids`, from the task-file pass as it is read: each
// target socket's inode and first holder, and the processes that hold any socket.
struct TargetOwners {
    InodeOwners owners;
    std::vector<std::uint32_t> inodes;
    std::vector<std::int32_t> holders;
};
Result<TargetOwners> read_target_owners(sys::SocketIterator& it, const std::vector<std::int32_t>& pids);

}  // namespace kt::engine
