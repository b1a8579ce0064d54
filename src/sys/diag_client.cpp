#include "sys/diag_client.hpp"

#include <linux/inet_diag.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <ctime>
#include <utility>

#include "sys/files.hpp"

namespace kt::sys {

namespace {
// The kernel hands over about 32 KiB per read; larger buffers buy nothing (PERFORMANCE.md).
constexpr std::size_t k_recv_buffer = 32 * 1024;
}  // namespace

DiagSocket::DiagSocket(mnl_socket* nl) : m_nl(nl), m_buf(k_recv_buffer) {
    m_portid = mnl_socket_get_portid(nl);
    m_seq = static_cast<std::uint32_t>(::time(nullptr));
}

DiagSocket::DiagSocket(DiagSocket&& o) noexcept
    : m_nl(std::exchange(o.m_nl, nullptr)), m_portid(o.m_portid), m_seq(o.m_seq), m_buf(std::move(o.m_buf)) {}

DiagSocket& DiagSocket::operator=(DiagSocket&& o) noexcept {
    if (this != &o) {
        if (m_nl) mnl_socket_close(m_nl);
        m_nl = std::exchange(o.m_nl, nullptr);
        m_portid = o.m_portid;
        m_seq = o.m_seq;
        m_buf = std::move(o.m_buf);
    }
    return *this;
}

DiagSocket::~DiagSocket() {
    if (m_nl) mnl_socket_close(m_nl);
}

Result<DiagSocket> DiagSocket::open() {
    mnl_socket* nl = mnl_socket_open2(NETLINK_SOCK_DIAG, SOCK_CLOEXEC);
    if (!nl) return fail("sock_diag", "cannot open a netlink socket: " + errno_text(errno));
    if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
        const int err = errno;
        mnl_socket_close(nl);
        return fail("sock_diag", "cannot bind the netlink socket: " + errno_text(err));
    }
    return DiagSocket(nl);
}

Result<DiagProgress> DiagSocket::dump(const DumpRequest& request, SocketSink& sink, ChunkObserver* observer) {
    // Requests are small: a header, the request struct and at most a few hundred bytes of bytecode.
    std::uint8_t out[8192];
    nlmsghdr* nlh = mnl_nlmsg_put_header(out);
    nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    nlh->nlmsg_seq = ++m_seq;
    if (request.family == 0) {
        nlh->nlmsg_type = TCPDIAG_GETSOCK;
        auto* req = static_cast<inet_diag_req*>(mnl_nlmsg_put_extra_header(nlh, sizeof(inet_diag_req)));
        req->idiag_states = request.states;
    } else {
        nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
        auto* req = static_cast<inet_diag_req_v2*>(mnl_nlmsg_put_extra_header(nlh, sizeof(inet_diag_req_v2)));
        req->sdiag_family = request.family;
        req->sdiag_protocol = IPPROTO_TCP;
        req->idiag_states = request.states;
    }
    if (!request.bytecode.empty()) {
        if (request.bytecode.size() + 64 > sizeof out) return fail("sock_diag", "filter too large for one request");
        mnl_attr_put(nlh, INET_DIAG_REQ_BYTECODE, request.bytecode.size(), request.bytecode.data());
    }
    if (mnl_socket_sendto(m_nl, nlh, nlh->nlmsg_len) < 0)
        return fail("sock_diag", "cannot send the dump request: " + errno_text(errno));

    const DiagExpect expect{m_seq, m_portid, true};
    DiagProgress progress;
    while (!progress.done) {
        const ssize_t n = mnl_socket_recvfrom(m_nl, m_buf.data(), m_buf.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == ENOBUFS)
                return fail("sock_diag", "the kernel dropped part of the reply (ENOBUFS): the dump is incomplete");
            if (errno == ENOSPC)
                return fail("sock_diag", "a reply message was larger than the receive buffer");
            return fail("sock_diag", "receiving the dump: " + errno_text(errno));
        }
        if (n == 0) return fail("sock_diag", "the kernel closed the dump before it was complete");
        const std::span<const std::uint8_t> chunk(m_buf.data(), static_cast<std::size_t>(n));
        if (observer)
            if (auto r = observer->on_chunk(chunk); !r) return std::unexpected(r.error());
        if (auto r = parse_diag_chunk(chunk, expect, sink, progress); !r) {
            Error e = r.error();
            if (kernel_errno_of(e) == EINVAL && !request.bytecode.empty())
                e.why += "; the kernel refused the filter bytecode";
            return std::unexpected(e);
        }
    }
    return progress;
}

Result<DiagProgress> replay_dump(std::span<const std::uint8_t> bytes, SocketSink& sink) {
    DiagProgress progress;
    if (auto r = parse_diag_chunk(bytes, DiagExpect{}, sink, progress); !r) return std::unexpected(r.error());
    if (!progress.done) return fail("replayed dump", "the saved reply ends before NLMSG_DONE: it is incomplete");
    return progress;
}

}  // namespace kt::sys
