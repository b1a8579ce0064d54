// The sock_diag client: one dump request over libmnl, replies fed to the pure parser.
#pragma once

#include <libmnl/libmnl.h>

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "core/socket/diag_parse.hpp"
#include "core/socket/tcp_state.hpp"
#include "core/text/error.hpp"
#include "sys/netns.hpp"

namespace kt::sys {

struct DumpRequest {
    // 0 (AF_UNSPEC): one walk of the TCP hash for IPv4 and IPv6 together, through the
    // compat TCPDIAG_GETSOCK request (inet_diag_dump_compat sets AF_UNSPEC); AF_INET or
    // AF_INET6: a SOCK_DIAG_BY_FAMILY request for that family only.
    std::uint8_t family = 0;
    StateMask states = k_all_states;
    std::vector<std::uint8_t> bytecode;  // INET_DIAG_REQ_BYTECODE, empty for none
    // INET_DIAG_INFO (struct tcp_info): idle times and retransmissions, at +26-52 % of the
    // dump's cost (PERFORMANCE.md), so only when a column, filter or verdict needs it.
    bool tcp_info = false;
};

// Sees every chunk the kernel sent, before parsing (for --dump-raw).
class ChunkObserver {
public:
    virtual ~ChunkObserver() = default;
    virtual Result<void> on_chunk(std::span<const std::uint8_t> bytes) = 0;
};

class DiagSocket {
public:
    // A NETLINK_SOCK_DIAG socket reports the netns it was created in.
    static Result<DiagSocket> open();

    DiagSocket(DiagSocket&&) noexcept;
    DiagSocket& operator=(DiagSocket&&) noexcept;
    ~DiagSocket();

    // Sends the request and parses the reply into `sink`: a second thread receives the next
    // 32 KiB parts (reused buffers) while this one parses, so `sink` runs on this thread.
    // EINTR is retried; NLMSG_ERROR, ENOBUFS and truncated replies are errors.
    Result<DiagProgress> dump(const DumpRequest& request, SocketSink& sink, ChunkObserver* observer = nullptr);

    // SOCK_DESTROY of one TCP socket, found by its addresses, ports and cookie (so a socket
    // that reused the 4-tuple is not it): the kernel aborts it as `ss -K` does. Needs
    // CAP_NET_ADMIN and CONFIG_INET_DIAG_DESTROY; the error keeps the kernel's errno in `code`
    // (EOPNOTSUPP without that option, ENOENT when the socket is gone).
    Result<void> destroy(const SocketRecord& s);

private:
    explicit DiagSocket(mnl_socket* nl);
    mnl_socket* m_nl = nullptr;
    std::uint32_t m_portid = 0;
    std::uint32_t m_seq = 0;
    std::vector<std::uint8_t> m_buf;
};

// A sock_diag socket created inside `ns`, so it reports that namespace's sockets.
Result<DiagSocket> open_diag_socket_in(const NetnsTarget& ns);

// Feeds a saved reply (a --dump-raw file's bytes) through the same parser.
Result<DiagProgress> replay_dump(std::span<const std::uint8_t> bytes, SocketSink& sink);

}  // namespace kt::sys
