#include "sys/diag_client.hpp"

#include <arpa/inet.h>
#include <linux/inet_diag.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <ctime>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>

#include "sys/files.hpp"

namespace kt::sys {

namespace {
// The kernel hands over about 32 KiB per read; larger buffers buy nothing (PERFORMANCE.md).
constexpr std::size_t k_recv_buffer = 32 * 1024;
constexpr std::size_t k_slots = 16;  // parts in flight between the receiving and the parsing thread
// A waiting thread is woken only once this many parts (or free slots) are ready, not for each:
// a wake-up per 32 KiB part cost more than the parsing it overlapped once tcp_info made parts
// hold a third as many sockets (perf: try_to_wake_up and task switches, 13 % of a dump).
constexpr std::size_t k_batch = 8;
}  // namespace

DiagSocket::DiagSocket(mnl_socket* nl) : m_nl(nl), m_buf(k_recv_buffer * k_slots) {
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
    // The kernel builds a dump's next part inside recv(), so a read never waits long; a reply
    // that never ends (it cannot, but a receiving thread must not hang on it) times out.
    const timeval timeout{10, 0};
    setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    return DiagSocket(nl);
}

namespace {
// Receiving and parsing overlap: a second thread makes the recv() calls, in which the kernel
// builds each part of the reply, while the caller parses and renders the part before. On two
// cores a dump then costs about what the kernel alone costs, whatever is done per socket.
// `slots` (k_slots buffers of k_recv_buffer bytes) belong to the DiagSocket and are reused.
class ReplyPipe {
public:
    ReplyPipe(mnl_socket* nl, std::vector<std::uint8_t>& slots) : m_nl(nl), m_slots(slots) {
        m_receiver = std::thread([this] { receive(); });
    }
    ~ReplyPipe() {
        {
            std::lock_guard lock(m_mutex);
            m_stop = true;
        }
        m_changed.notify_all();
        m_receiver.join();
    }
    ReplyPipe(const ReplyPipe&) = delete;
    ReplyPipe& operator=(const ReplyPipe&) = delete;

    // The next part of the reply, in order; valid until release().
    Result<std::span<const std::uint8_t>> next() {
        std::unique_lock lock(m_mutex);
        if (m_filled == m_taken) {
            m_parser_waiting = true;
            m_changed.wait(lock, [this] { return m_filled - m_taken >= k_batch || m_last; });
            m_parser_waiting = false;
        }
        const Part& p = m_parts[m_taken % k_slots];
        if (p.size > 0) return std::span<const std::uint8_t>(slot(m_taken), static_cast<std::size_t>(p.size));
        if (p.size == 0) return fail("sock_diag", "the kernel closed the dump before it was complete");
        if (p.error == ENOBUFS) return fail("sock_diag", "the kernel dropped part of the reply (ENOBUFS): the dump is incomplete");
        if (p.error == ENOSPC) return fail("sock_diag", "a reply message was larger than the receive buffer");
        return fail("sock_diag", "receiving the dump: " + errno_text(p.error));
    }
    void release() {
        bool wake = false;
        {
            std::lock_guard lock(m_mutex);
            ++m_taken;
            wake = m_receiver_waiting && k_slots - (m_filled - m_taken) >= k_batch;
        }
        if (wake) m_changed.notify_all();
    }

private:
    struct Part {
        ssize_t size = 0;
        int error = 0;
    };
    std::uint8_t* slot(std::uint64_t n) { return m_slots.data() + (n % k_slots) * k_recv_buffer; }

    void receive() {
        for (std::uint64_t n = 0;; ++n) {
            {
                std::unique_lock lock(m_mutex);
                if (!m_stop && n - m_taken >= k_slots) {
                    m_receiver_waiting = true;
                    m_changed.wait(lock, [&] { return m_stop || k_slots - (n - m_taken) >= k_batch; });
                    m_receiver_waiting = false;
                }
                if (m_stop) return;
            }
            Part p;
            do {
                p.size = mnl_socket_recvfrom(m_nl, slot(n), k_recv_buffer);
                p.error = p.size < 0 ? errno : 0;
            } while (p.size < 0 && p.error == EINTR);
            const bool last = p.size <= 0 || chunk_ends_dump({slot(n), static_cast<std::size_t>(p.size)});
            bool wake = false;
            {
                std::lock_guard lock(m_mutex);
                m_parts[n % k_slots] = p;
                m_filled = n + 1;
                m_last = last;
                wake = m_parser_waiting && (last || m_filled - m_taken >= k_batch);
            }
            if (wake) m_changed.notify_all();
            if (last) return;
        }
    }

    mnl_socket* m_nl;
    std::vector<std::uint8_t>& m_slots;
    std::array<Part, k_slots> m_parts{};
    std::mutex m_mutex;
    std::condition_variable m_changed;
    std::uint64_t m_filled = 0;  // parts received
    std::uint64_t m_taken = 0;   // parts the caller is done with
    bool m_last = false;         // the part that ends the dump is in
    bool m_parser_waiting = false;
    bool m_receiver_waiting = false;
    bool m_stop = false;
    std::thread m_receiver;
};
}  // namespace

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
        if (request.tcp_info) req->idiag_ext = static_cast<std::uint8_t>(1u << (INET_DIAG_INFO - 1));
    } else {
        nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
        auto* req = static_cast<inet_diag_req_v2*>(mnl_nlmsg_put_extra_header(nlh, sizeof(inet_diag_req_v2)));
        req->sdiag_family = request.family;
        req->sdiag_protocol = IPPROTO_TCP;
        req->idiag_states = request.states;
        if (request.tcp_info) req->idiag_ext = static_cast<std::uint8_t>(1u << (INET_DIAG_INFO - 1));
    }
    if (!request.bytecode.empty()) {
        if (request.bytecode.size() + 64 > sizeof out) return fail("sock_diag", "filter too large for one request");
        mnl_attr_put(nlh, INET_DIAG_REQ_BYTECODE, request.bytecode.size(), request.bytecode.data());
    }
    if (mnl_socket_sendto(m_nl, nlh, nlh->nlmsg_len) < 0)
        return fail("sock_diag", "cannot send the dump request: " + errno_text(errno));

    const DiagExpect expect{m_seq, m_portid, true};
    DiagProgress progress;
    ReplyPipe pipe(m_nl, m_buf);
    while (!progress.done) {
        const auto chunk = pipe.next();
        if (!chunk) return std::unexpected(chunk.error());
        if (observer)
            if (auto r = observer->on_chunk(*chunk); !r) return std::unexpected(r.error());
        if (auto r = parse_diag_chunk(*chunk, expect, sink, progress); !r) {
            Error e = r.error();
            if (kernel_errno_of(e) == EINVAL && !request.bytecode.empty())
                e.why += "; the kernel refused the filter bytecode";
            return std::unexpected(e);
        }
        pipe.release();
    }
    return progress;
}

namespace {
class NoSockets : public SocketSink {
public:
    void on_socket(const SocketRecord&) override {}
};

void put_address(std::uint32_t (&out)[4], const IpAddress& a) {
    std::memcpy(out, a.bytes.data(), a.family == k_family_inet ? 4 : 16);
}
}  // namespace

Result<void> DiagSocket::destroy(const SocketRecord& s) {
    std::uint8_t out[256];
    nlmsghdr* nlh = mnl_nlmsg_put_header(out);
    nlh->nlmsg_type = SOCK_DESTROY;
    nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
    nlh->nlmsg_seq = ++m_seq;
    auto* req = static_cast<inet_diag_req_v2*>(mnl_nlmsg_put_extra_header(nlh, sizeof(inet_diag_req_v2)));
    req->sdiag_family = s.family;
    req->sdiag_protocol = IPPROTO_TCP;
    req->idiag_states = k_all_states;
    req->id.idiag_sport = htons(s.local.port);
    req->id.idiag_dport = htons(s.peer.port);
    put_address(req->id.idiag_src, s.local.address);
    put_address(req->id.idiag_dst, s.peer.address);
    req->id.idiag_cookie[0] = static_cast<std::uint32_t>(s.cookie);
    req->id.idiag_cookie[1] = static_cast<std::uint32_t>(s.cookie >> 32);
    if (mnl_socket_sendto(m_nl, nlh, nlh->nlmsg_len) < 0)
        return fail("SOCK_DESTROY", "cannot send the request: " + errno_text(errno));
    std::uint8_t reply[8192];
    ssize_t n;
    do {
        n = mnl_socket_recvfrom(m_nl, reply, sizeof reply);
    } while (n < 0 && errno == EINTR);
    if (n < 0) return fail("SOCK_DESTROY", "receiving the answer: " + errno_text(errno));
    NoSockets none;
    DiagProgress progress;
    if (auto r = parse_diag_chunk({reply, static_cast<std::size_t>(n)}, DiagExpect{m_seq, m_portid, true}, none, progress); !r) {
        const int err = kernel_errno_of(r.error());
        return std::unexpected(Error{"SOCK_DESTROY", err ? errno_text(err) : r.error().line(), err});
    }
    return {};
}

Result<DiagSocket> open_diag_socket_in(const NetnsTarget& ns) {
    std::optional<DiagSocket> socket;
    auto opened = run_in_netns(ns, [&]() -> Result<void> {
        auto s = DiagSocket::open();
        if (!s) return std::unexpected(s.error());
        socket.emplace(std::move(*s));
        return {};
    });
    if (!opened) return std::unexpected(opened.error());
    return std::move(*socket);
}

Result<DiagProgress> replay_dump(std::span<const std::uint8_t> bytes, SocketSink& sink) {
    DiagProgress progress;
    if (auto r = parse_diag_chunk(bytes, DiagExpect{}, sink, progress); !r) return std::unexpected(r.error());
    if (!progress.done) return fail("replayed dump", "the saved reply ends before NLMSG_DONE: it is incomplete");
    return progress;
}

}  // namespace kt::sys
