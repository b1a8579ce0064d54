// The BPF engine's socket iterator (iter/tcp): every TCP socket of a network namespace with
// the keepalive values configured on it, and bpf_setsockopt on chosen sockets in one pass.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "core/change/pass_writes.hpp"
#include "core/socket/kernel_socket.hpp"
#include "core/text/error.hpp"
#include "sys/netns.hpp"

namespace kt::sys {

class SocketIterator {
public:
    // Loads the programs into the kernel. The error says why BPF cannot run here (no
    // CAP_BPF/CAP_PERFMON, no kernel BTF, a kernel without iter/tcp, seccomp, a build without
    // BPF), in words fit for the fallback warning.
    // Only the programs asked for are loaded, each load being mostly the verifier's and
    // libbpf's work on that program: `options` serves read_options(), `sockets`
    // every other read and apply(), `owners` socket_files().
    enum Program : unsigned { options = 1, sockets = 2, owners = 4 };
    static Result<std::unique_ptr<SocketIterator>> load(unsigned programs);
    ~SocketIterator();
    SocketIterator(const SocketIterator&) = delete;
    SocketIterator& operator=(const SocketIterator&) = delete;

    // Jiffies per second: CONFIG_HZ, or calibrated on a socket of our own where the kernel
    // config cannot be read.
    std::uint32_t hz() const;

    // One pass over the namespace (the iterator walks the netns of the thread creating it).
    // The less a reader asks for, the faster the pass: without inodes every record's inode is
    // 0 (readers that key sockets by cookie). Reading with a program not loaded is an error.
    enum class Fields { all, no_inodes };
    Result<std::vector<KernelSocket>> read(const NetnsTarget& netns, Fields fields = Fields::all);
    // The same pass handed over as it is read, a record at a time: the memory is one chunk of
    // records however many sockets the namespace has (a reader that judges each socket alone).
    // `on_socket` runs on the thread that entered the namespace.
    Result<void> each(const NetnsTarget& netns, Fields fields, const std::function<void(const KernelSocket&)>& on_socket);
    // The same pass reduced to each socket's cookie and keepalive flag and values.
    Result<std::vector<SocketOptionsRecord>> read_options(const NetnsTarget& netns);

    // One pass that gives each socket its writes (values, SO_KEEPALIVE last) and reports the
    // sockets it reached: their options right after, and how many writes went through. A
    // socket that closed meanwhile is simply not in the result.
    Result<std::vector<AppliedSocket>> apply(const NetnsTarget& netns, const PassWrites& writes);

    // What a plan pass puts on its targets, and what it needs to tell what each one has.
    struct PassPlan {
        SocketOptions want;              // the profile's values
        bool keep_user_timeout = false;  // the profile has no user_timeout_ms: each keeps its own
        KeepaliveDefaults defaults;      // the namespace's sysctls
        std::uint32_t states = 0;        // the states a target may be in (bit N: state N)
        bool check_only = false;         // judge each target, write nothing (verify)
        // check_only: every socket with a file is a target (`inodes` is not looked at), for a
        // caller that learns whose they are while the pass runs, and may take the first
        // records only once it has: the pass is read ahead of it without bound meanwhile.
        bool all_targets = false;
    };
    // One pass that plans each socket of the namespace whose inode is among `inodes` in the
    // kernel, from the options it finds on it under its lock, and writes the profile in the
    // burst-free order (kt_burst_free_writes), putting back what it wrote when a write fails.
    // It hands over, a chunk at a time, each target with its options before and after, every
    // listener, and every connection without a file (which may wait in an accept queue).
    // `inodes` must span fewer than k_plan_inode_span numbers (a bitmap of them is the
    // program's lookup).
    static constexpr std::uint32_t k_plan_inode_span = 1u << 28;
    Result<void> plan(const NetnsTarget& netns, const PassPlan& plan, const std::vector<std::uint32_t>& inodes,
                      const std::function<void(const PlannedSocket&)>& on_socket);

    // Every socket file of every process (the pid namespace of the caller) in one task-file
    // iterator pass: who holds which socket, without reading a /proc link per descriptor.
    // It may run on one thread while a socket pass runs on another.
    Result<std::vector<SocketFile>> socket_files();

    // The same pass handed over a chunk of records at a time, as it is read: the memory is one
    // chunk however many files the host has.
    Result<void> each_socket_file(const std::function<void(const SocketFile&)>& on_file);

    // The buffers whole passes are read into (the task-file pass, read(), the apply pass) are
    // kept for the next pass; the BPF engine gives them back once it has found its targets
    // (the task-file pass's holds 32 bytes a socket file: 16 MB at 500k), and the apply
    // pass's grows again.
    void release_buffers();

    struct Impl;

private:
    explicit SocketIterator(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> m_impl;
};

// The netns's tcp_keepalive_time/_intvl/_probes (what a socket that set nothing inherits).
Result<KeepaliveDefaults> read_keepalive_defaults(const NetnsTarget& netns);

}  // namespace kt::sys
