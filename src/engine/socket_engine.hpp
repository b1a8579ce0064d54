// Layer engine: the engines and the scans that drive them, between cli/ and sys/.
// How apply, verify and undo reach sockets, behind one small interface: pidfd_getfd copies
// of the owners' descriptors, or the BPF socket iterator (one pass per network namespace,
// accept queues included). Commands plan and report the same way whichever runs.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "core/profile/profile.hpp"
#include "core/text/error.hpp"
#include "render/apply_view.hpp"
#include "sys/bpf_sockets.hpp"
#include "sys/socket_owners.hpp"
#include "sys/target_sockets.hpp"
#include "sys/unique_fd.hpp"

namespace kt::engine {

// A socket read and planned: its reference is report.item.socket. `dup` is the pidfd
// engine's handle; `cookie` and `netns` the BPF engine's. Half a million of these are held
// at once, so nothing is in it twice.
struct PreparedSocket {
    render::SocketReport report;
    std::uint64_t cookie = 0;
    std::uint32_t netns = 0;  // index into Preparation::namespaces
    sys::UniqueFd dup;
    // The keepalive timer as found (sys::FoundSocket), for verify.
    std::uint32_t expires_ms = 0;
    std::uint8_t timer = 0;
};

struct Preparation {
    std::vector<PreparedSocket> sockets;
    std::vector<render::SocketReport> gone;  // processes or sockets that went away meanwhile
    std::vector<sys::NetnsTarget> namespaces;
    std::size_t queued = 0;  // connections found waiting in accept queues (BPF engine)
    std::vector<std::string> notes;

    // Every report where it is kept (half a million are not copied out): the planned sockets,
    // then the gone ones.
    std::size_t report_count() const { return sockets.size() + gone.size(); }
    const render::SocketReport& report(std::size_t i) const {
        return i < sockets.size() ? sockets[i].report : gone[i - sockets.size()];
    }
};

struct ChangeCounts {
    std::size_t changed = 0, compliant = 0, failed = 0, gone = 0;
};

class SocketEngine {
public:
    virtual ~SocketEngine() = default;
    virtual const char* name() const = 0;

    // Reads and plans every found socket. A refusal (EPERM) is an error for the whole
    // command, since nothing may change while any input is bad; a socket gone is reported.
    // `queue_listeners`: listeners whose not-yet-accepted connections are targets too (only
    // the BPF engine can reach them), filtered by `selection`.
    virtual std::expected<Preparation, Errors> prepare(const std::vector<sys::FoundSocket>& found, const Profile& p,
                                                       const std::vector<sys::FoundSocket>& queue_listeners,
                                                       const sys::SocketSelection& selection) = 0;

    // Changes every planned socket, all or nothing per socket (values first, SO_KEEPALIVE
    // last; a failure puts back what was written).
    virtual ChangeCounts change(Preparation& prep) = 0;

    // Plans the sockets the processes `pids` hold, with their accept queues, in one pass of the
    // engine's own (after one that finds who holds which socket), when it can (BPF: each socket
    // is planned in the kernel from what it holds under its lock, with no pass to read the
    // sockets first) and `selection` chooses by process alone; with `change`, the same pass
    // changes them (all or nothing per socket), else it only judges them (verify). Each socket
    // goes to `settled` as soon as the pass is done with it, its report's outcome compliant,
    // planned (differs; not changed), changed or failed (a table can be written while the pass
    // runs); what comes back is the rest of the preparation (namespaces, notes, the queued
    // count; no sockets) and the counts. prepare() and change() are not called then. nullopt:
    // they are needed.
    struct PlannedInPass {
        Preparation prep;
        ChangeCounts counts;
    };
    using SettledSocket = std::function<void(PreparedSocket&&)>;
    virtual bool plans_in_pass(const sys::SocketSelection& /*selection*/) const { return false; }
    virtual std::optional<std::expected<PlannedInPass, Errors>> plan_in_pass(const std::vector<std::int32_t>& /*pids*/,
                                                                             const Profile& /*p*/, bool /*change*/,
                                                                             const SettledSocket& /*settled*/) {
        return std::nullopt;
    }

    // Puts recorded values back: `target` per socket, found by pid+fd+inode (pidfd) or by
    // inode or cookie in the namespace of its process (BPF).
    struct Restore {
        SocketRef socket;
        std::uint64_t cookie = 0;
        SocketOptions target;
        render::SocketReport report;  // filled in
    };
    virtual void restore(std::vector<Restore>& restores) = 0;

    // Every process's socket files in one pass, when the engine can list them (BPF); the
    // targets' /proc/PID/fd are read otherwise.
    virtual std::optional<std::vector<SocketFile>> socket_files() { return std::nullopt; }

    // The targets' processes are known and their sockets are about to be found: an engine
    // may start reading their namespaces meanwhile (BPF: the iterator pass beside the
    // task-file pass), for find_in_pass() and prepare() to use.
    virtual void prefetch(const std::vector<std::int32_t>& /*pids*/) {}

    // The sockets of `owners` that match `selection`, as sys::find_target_sockets finds them
    // in a sock_diag dump, from the pass prefetch() started when the engine can (BPF: its
    // records carry each socket's tuple, state and timer); nullopt: the caller dumps.
    virtual std::optional<std::expected<std::vector<sys::FoundSocket>, Errors>> find_in_pass(
        const sys::SocketSelection& /*selection*/, const sys::SocketOwnerIndex& /*owners*/) {
        return std::nullopt;
    }
};

std::unique_ptr<SocketEngine> make_pidfd_engine();
std::unique_ptr<SocketEngine> make_bpf_engine(std::unique_ptr<sys::SocketIterator> iterator);

// --engine: the BPF engine where it loads ("auto", with one warning when it falls back), or
// pidfd.
Result<std::unique_ptr<SocketEngine>> choose_engine(const std::string& choice);

}  // namespace kt::engine
