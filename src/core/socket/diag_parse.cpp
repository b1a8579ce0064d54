#include "core/socket/diag_parse.hpp"

#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>

#include <cstring>
#include <string>

namespace kt {

namespace {
constexpr std::string_view k_what = "sock_diag reply";
constexpr std::size_t k_attr_header = sizeof(nlattr);  // NLA_HDRLEN: 4, already aligned
constexpr std::string_view k_kernel_error_prefix = "the kernel answered with error ";

// `negative` is what the kernel put in the message: -errno. Any int can arrive in bytes that
// are not the kernel's (a --replay file), INT_MIN included, whose negation is undefined.
std::string kernel_error(std::int64_t negative) {
    const std::int64_t err = -negative;
    const char* desc = err > 0 && err < 4096 ? strerrordesc_np(static_cast<int>(err)) : nullptr;
    return std::string(k_kernel_error_prefix) + std::to_string(err) + " (" + (desc ? desc : "unknown") + ")";
}

std::uint16_t from_be16(std::uint16_t v) { return static_cast<std::uint16_t>((v >> 8) | (v << 8)); }

void fill_endpoint(Endpoint& e, std::uint8_t family, const std::uint32_t (&addr)[4], std::uint16_t port_be) {
    e.address.family = family;
    std::memcpy(e.address.bytes.data(), addr, family == k_family_inet ? 4 : 16);
    e.port = from_be16(port_be);
}

template <class T>
T field_at(const std::uint8_t* base, std::size_t len, std::size_t offset) {
    T v{};
    if (offset + sizeof v <= len) std::memcpy(&v, base + offset, sizeof v);
    return v;
}

// struct tcp_info by offset (include/uapi/linux/tcp.h): older kernels send a shorter one, so
// each field is read only when the attribute reaches it.
void read_tcp_info(const std::uint8_t* p, std::size_t len, SocketRecord& s) {
    // A listener's tcp_info has no connection behind it: its idle times mean nothing.
    if (s.state == 10) return;  // TCP_LISTEN
    s.has_info = true;
    s.info.retransmits = field_at<std::uint8_t>(p, len, 2);
    s.info.probes = field_at<std::uint8_t>(p, len, 3);
    s.info.backoff = field_at<std::uint8_t>(p, len, 4);
    s.info.rto_us = field_at<std::uint32_t>(p, len, 8);
    s.info.unacked = field_at<std::uint32_t>(p, len, 24);
    s.info.last_data_sent_ms = field_at<std::uint32_t>(p, len, 44);
    s.info.last_data_recv_ms = field_at<std::uint32_t>(p, len, 52);
    s.info.last_ack_recv_ms = field_at<std::uint32_t>(p, len, 56);
    s.info.total_retrans = field_at<std::uint32_t>(p, len, 100);
}

// Lengths are checked so a malformed message is reported rather than read past; the one
// attribute used is INET_DIAG_INFO, when it was asked for.
Result<void> walk_attributes(const std::uint8_t* at, std::size_t len, std::size_t offset, SocketRecord& s) {
    while (len >= sizeof(nlattr)) {
        nlattr attr;
        std::memcpy(&attr, at, sizeof attr);
        if (attr.nla_len < sizeof(nlattr) || attr.nla_len > len)
            return fail(std::string(k_what), "truncated attribute at byte " + std::to_string(offset));
        if ((attr.nla_type & NLA_TYPE_MASK) == INET_DIAG_INFO)
            read_tcp_info(at + k_attr_header, attr.nla_len - k_attr_header, s);
        const std::size_t step = NLA_ALIGN(attr.nla_len);
        if (step >= len) break;
        at += step;
        len -= step;
        offset += step;
    }
    return {};
}
}  // namespace

bool chunk_ends_dump(std::span<const std::uint8_t> bytes) {
    std::size_t offset = 0;
    while (offset < bytes.size()) {
        nlmsghdr hdr;
        if (bytes.size() - offset < sizeof hdr) return true;
        std::memcpy(&hdr, bytes.data() + offset, sizeof hdr);
        if (hdr.nlmsg_len < sizeof hdr || hdr.nlmsg_len > bytes.size() - offset) return true;
        if (hdr.nlmsg_type == NLMSG_DONE) return true;
        if (hdr.nlmsg_type == NLMSG_ERROR) {
            std::int32_t error = 0;
            if (hdr.nlmsg_len < NLMSG_HDRLEN + sizeof error) return true;
            std::memcpy(&error, bytes.data() + offset + NLMSG_HDRLEN, sizeof error);
            if (error != 0) return true;
        }
        offset += NLMSG_ALIGN(hdr.nlmsg_len);
    }
    return false;
}

Result<void> parse_diag_chunk(std::span<const std::uint8_t> bytes, const DiagExpect& expect, SocketSink& sink,
                              DiagProgress& progress) {
    std::size_t offset = 0;
    while (offset < bytes.size()) {
        const std::size_t left = bytes.size() - offset;
        nlmsghdr hdr;
        if (left < sizeof hdr)
            return fail(std::string(k_what), "truncated netlink header at byte " + std::to_string(offset));
        std::memcpy(&hdr, bytes.data() + offset, sizeof hdr);
        if (hdr.nlmsg_len < sizeof hdr || hdr.nlmsg_len > left)
            return fail(std::string(k_what), "truncated netlink message at byte " + std::to_string(offset) + " (length " +
                                                 std::to_string(hdr.nlmsg_len) + ", " + std::to_string(left) +
                                                 " bytes left)");
        if (expect.check_ids && (hdr.nlmsg_seq != expect.seq || (expect.portid && hdr.nlmsg_pid != expect.portid)))
            return fail(std::string(k_what), "message for another request (sequence " + std::to_string(hdr.nlmsg_seq) +
                                                 ", expected " + std::to_string(expect.seq) + ")");
        if (hdr.nlmsg_flags & NLM_F_DUMP_INTR) progress.interrupted = true;
        const std::uint8_t* payload = bytes.data() + offset + NLMSG_HDRLEN;
        const std::size_t payload_len = hdr.nlmsg_len - std::min<std::size_t>(hdr.nlmsg_len, NLMSG_HDRLEN);

        if (hdr.nlmsg_type == NLMSG_DONE) {
            // netlink_dump_done puts the dump's error (0 or -errno) in the payload.
            int status = 0;
            if (payload_len >= sizeof status) std::memcpy(&status, payload, sizeof status);
            if (status < 0) return fail(std::string(k_what), kernel_error(status));
            progress.done = true;
            return {};
        }
        if (hdr.nlmsg_type == NLMSG_ERROR) {
            nlmsgerr err;
            if (payload_len < sizeof err.error)
                return fail(std::string(k_what), "truncated NLMSG_ERROR at byte " + std::to_string(offset));
            std::memcpy(&err.error, payload, sizeof err.error);
            if (err.error == 0) {  // an ACK, not an error
                ++progress.skipped_messages;
            } else {
                return fail(std::string(k_what), kernel_error(err.error));
            }
        } else if (hdr.nlmsg_type == SOCK_DIAG_BY_FAMILY || hdr.nlmsg_type == TCPDIAG_GETSOCK) {
            // A compat (AF_UNSPEC) dump answers with its request type, TCPDIAG_GETSOCK.
            inet_diag_msg msg;
            if (payload_len < sizeof msg)
                return fail(std::string(k_what), "truncated inet_diag_msg at byte " + std::to_string(offset));
            std::memcpy(&msg, payload, sizeof msg);
            if (msg.idiag_family != k_family_inet && msg.idiag_family != k_family_inet6)
                return fail(std::string(k_what), "unexpected address family " + std::to_string(msg.idiag_family) +
                                                     " at byte " + std::to_string(offset));
            SocketRecord s;
            s.state = msg.idiag_state;
            if (auto r = walk_attributes(payload + NLMSG_ALIGN(sizeof msg),
                                         payload_len - std::min(payload_len, std::size_t{NLMSG_ALIGN(sizeof msg)}),
                                         offset + NLMSG_HDRLEN + NLMSG_ALIGN(sizeof msg), s);
                !r)
                return r;
            s.family = msg.idiag_family;
            s.state = msg.idiag_state;
            s.timer = static_cast<DiagTimer>(msg.idiag_timer);
            s.retrans = msg.idiag_retrans;
            s.expires_ms = msg.idiag_expires;
            s.rqueue = msg.idiag_rqueue;
            s.wqueue = msg.idiag_wqueue;
            s.uid = msg.idiag_uid;
            s.inode = msg.idiag_inode;
            s.cookie = (std::uint64_t{msg.id.idiag_cookie[1]} << 32) | msg.id.idiag_cookie[0];
            fill_endpoint(s.local, msg.idiag_family, msg.id.idiag_src, msg.id.idiag_sport);
            fill_endpoint(s.peer, msg.idiag_family, msg.id.idiag_dst, msg.id.idiag_dport);
            s.dump_interrupted = (hdr.nlmsg_flags & NLM_F_DUMP_INTR) != 0;
            ++progress.sockets;
            sink.on_socket(s);
        } else {
            ++progress.skipped_messages;
        }
        const std::size_t step = NLMSG_ALIGN(hdr.nlmsg_len);
        offset += std::max<std::size_t>(step, hdr.nlmsg_len);
    }
    return {};
}

int kernel_errno_of(const Error& e) {
    if (e.what != k_what || !e.why.starts_with(k_kernel_error_prefix)) return 0;
    return std::atoi(e.why.c_str() + k_kernel_error_prefix.size());
}

}  // namespace kt
