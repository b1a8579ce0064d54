// Which process holds which socket: one scan of /proc/*/fd into an index by socket inode.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/socket/kernel_socket.hpp"
#include "core/text/error.hpp"

namespace kt::sys {

struct SocketOwner {
    std::int32_t pid = 0;
    std::int32_t fd = 0;
};

// An open-addressing hash from socket inode to its first owner (lowest pid, lowest fd);
// sized up front from the number of open files on the system so it rarely grows.
class SocketOwnerIndex {
public:
    explicit SocketOwnerIndex(std::size_t expected = 1024);
    void insert(std::uint32_t inode, SocketOwner owner);
    const SocketOwner* find(std::uint32_t inode) const;
    std::size_t size() const { return m_size; }
    void set_comm(std::int32_t pid, std::string comm) { m_comms[pid] = std::move(comm); }
    std::string_view comm(std::int32_t pid) const;

private:
    struct Slot {
        std::uint32_t inode = 0;  // 0 = empty: no socket has inode 0
        SocketOwner owner;
    };
    void grow();
    std::vector<Slot> m_slots;
    std::size_t m_size = 0;
    std::unordered_map<std::int32_t, std::string> m_comms;
};

struct OwnerScanOptions {
    std::string proc_root = "/proc";
    std::vector<std::int32_t> pids;  // only these (--pid); empty = every process
    std::vector<std::string> comms;  // only processes with one of these names (--comm)
};

struct OwnerScan {
    SocketOwnerIndex index;
    std::size_t processes = 0;   // processes whose fds were read
    std::size_t unreadable = 0;  // processes whose fd directory could not be read
    std::vector<std::int32_t> selected;  // with --pid or --comm: the processes they chose
    Errors problems;  // a named --pid that does not exist or cannot be read; a --comm nobody has
    std::vector<std::pair<std::int32_t, std::string>> unreadable_processes;  // pid and comm, the first few
};

OwnerScan scan_socket_owners(const OwnerScanOptions& options);

// "the file descriptors of 1 process(es) could not be read (pid 1 process_api)": which
// processes hide their sockets' owners, for the warnings of inspect -p, health and reap.
std::string unreadable_owners_text(const OwnerScan& scan);

// The same index from the socket files a BPF task-file iterator listed (every process).
OwnerScan owner_scan_of(const std::vector<SocketFile>& files);

// "socket:[12345]" -> 12345, else 0.
std::uint32_t socket_inode_of_link(std::string_view link);

}  // namespace kt::sys
