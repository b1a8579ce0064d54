// Hand-built sock_diag replies for parser tests, and the saved kernel reply in tests/data.
#pragma once

#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>

#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace kt::test {

using Bytes = std::vector<std::uint8_t>;

inline void append_raw(Bytes& b, const void* p, std::size_t n) {
    const auto* c = static_cast<const std::uint8_t*>(p);
    b.insert(b.end(), c, c + n);
}

inline void pad4(Bytes& b) {
    while (b.size() % 4) b.push_back(0);
}

struct MessageSpec {
    std::uint16_t type = SOCK_DIAG_BY_FAMILY;
    std::uint16_t flags = NLM_F_MULTI;
    std::uint32_t seq = 0;
    Bytes payload;
};

inline Bytes message(const MessageSpec& m) {
    Bytes b;
    nlmsghdr h{};
    h.nlmsg_len = static_cast<std::uint32_t>(NLMSG_HDRLEN + m.payload.size());
    h.nlmsg_type = m.type;
    h.nlmsg_flags = m.flags;
    h.nlmsg_seq = m.seq;
    append_raw(b, &h, sizeof h);
    b.insert(b.end(), m.payload.begin(), m.payload.end());
    pad4(b);
    return b;
}

// An inet_diag_msg for 127.0.0.1:sport -> 127.0.0.1:dport, plus optional attributes.
inline Bytes socket_payload(std::uint8_t state, std::uint16_t sport, std::uint16_t dport, std::uint8_t timer = 0,
                            std::uint32_t inode = 1000, const Bytes& attrs = {}) {
    inet_diag_msg msg{};
    msg.idiag_family = 2;
    msg.idiag_state = state;
    msg.idiag_timer = timer;
    msg.id.idiag_sport = static_cast<std::uint16_t>((sport >> 8) | (sport << 8));
    msg.id.idiag_dport = static_cast<std::uint16_t>((dport >> 8) | (dport << 8));
    const std::uint8_t lo[4] = {127, 0, 0, 1};
    std::memcpy(msg.id.idiag_src, lo, 4);
    std::memcpy(msg.id.idiag_dst, lo, 4);
    msg.idiag_inode = inode;
    Bytes b;
    append_raw(b, &msg, sizeof msg);
    b.insert(b.end(), attrs.begin(), attrs.end());
    return b;
}

inline Bytes attribute(std::uint16_t type, const Bytes& data) {
    Bytes b;
    nlattr a{static_cast<std::uint16_t>(sizeof(nlattr) + data.size()), type};
    append_raw(b, &a, sizeof a);
    b.insert(b.end(), data.begin(), data.end());
    pad4(b);
    return b;
}

inline Bytes done_message(std::uint32_t seq = 0, int status = 0) {
    Bytes payload;
    append_raw(payload, &status, sizeof status);
    return message({NLMSG_DONE, NLM_F_MULTI, seq, payload});
}

inline Bytes error_message(int err) {
    nlmsgerr e{};
    e.error = -err;
    Bytes payload;
    append_raw(payload, &e, sizeof e);
    return message({NLMSG_ERROR, 0, 0, payload});
}

inline Bytes concat(std::initializer_list<Bytes> parts) {
    Bytes out;
    for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
    return out;
}

// A real reply saved with `inspect --state all --dump-raw` in a fresh netns holding: a
// listener on 127.0.0.1:8080 and one on [::]:8443; 127.0.0.1 -> :8080 with keepalive on
// (idle 30); 127.0.0.1 -> [::]:8443 (accepted as ::ffff:127.0.0.1); ::1 -> :8443; and one
// 127.0.0.1 -> :8080 closed by the client (TIME_WAIT).
inline Bytes saved_mixed_dump() {
    std::ifstream in(std::string(KT_SOURCE_DIR) + "/tests/data/dump-mixed.bin", std::ios::binary);
    return Bytes(std::istreambuf_iterator<char>(in), {});
}

}  // namespace kt::test
