// What a connection end's record does not carry and trace looks up as it reports it: its
// namespace's label, which side of the connection the socket was, and the process that held it.
// Each is read again on a miss, at a bounded rate, so a burst of ends costs a few reads.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include "core/socket/socket_role.hpp"
#include "core/trace/connection_end.hpp"
#include "sys/bpf_sockets.hpp"
#include "sys/netns.hpp"
#include "sys/socket_owners.hpp"

namespace kt::engine {

// The host's namespaces by inode, read again when an unknown one shows up (at most once a second).
class TraceNamespaces {
public:
    // The label inspect gives, or "netns:INODE" for one already gone.
    std::string label(std::uint32_t inode);
    const sys::NetnsTarget* find(std::uint32_t inode);

private:
    std::unordered_map<std::uint32_t, sys::NetnsTarget> m_targets;
    std::chrono::steady_clock::time_point m_read{};
};

// The side of an ended connection: how it was made, when the programs saw it being made
// (with --role); else from its namespace's listeners (a listener-only sock_diag dump), read on a namespace's
// first such end, and again at most once a second when a connection looks outbound, since a
// listener opened after the last read makes its accepted connections look so. None for a
// reset sent without a socket, or a namespace that cannot be read.
class TraceRoles {
public:
    explicit TraceRoles(TraceNamespaces& namespaces) : m_namespaces(namespaces) {}
    std::optional<SocketRole> role(const ConnectionEnd& e);

private:
    struct Listeners {
        ListenerIndex index;
        bool read = false;
        std::chrono::steady_clock::time_point at{};
    };
    bool refresh(std::uint32_t netns_inode, Listeners& l);
    TraceNamespaces& m_namespaces;
    std::unordered_map<std::uint32_t, Listeners> m_listeners;
};

// Socket owners by inode, from the BPF engine's task-file pass (every process's socket files
// in one pass; /proc where it cannot load), read again on a miss (at most every 100 ms): an
// owner that closed its socket before the end was reported is "gone".
class TraceOwners {
public:
    const sys::SocketOwner* find(std::uint32_t inode, std::string& comm);

private:
    const sys::SocketOwner* lookup(std::uint32_t inode, std::string& comm);
    sys::OwnerScan scan();
    std::unique_ptr<sys::SocketIterator> m_iterator;
    bool m_iterator_tried = false;
    std::optional<sys::OwnerScan> m_scan;
    std::chrono::steady_clock::time_point m_read{};
};

}  // namespace kt::engine
