#include "core/socket/diag_bytecode.hpp"

#include <linux/inet_diag.h>

#include <charconv>
#include <cstring>
#include <string>

#include "core/socket/ip_text.hpp"

namespace kt {

namespace {
using Program = std::vector<std::uint8_t>;

void put_op(Program& p, std::uint8_t code, std::uint8_t yes, std::uint16_t no) {
    inet_diag_bc_op op{code, yes, no};
    const auto* b = reinterpret_cast<const std::uint8_t*>(&op);
    p.insert(p.end(), b, b + sizeof op);
}

inet_diag_bc_op op_at(const Program& p, std::size_t at) {
    inet_diag_bc_op op;
    std::memcpy(&op, p.data() + at, sizeof op);
    return op;
}

// A port comparison: the op, then a second op whose "no" carries the port.
Program port_leaf(std::uint8_t code, std::uint16_t port) {
    Program p;
    put_op(p, code, 8, 12);
    put_op(p, 0, 0, port);
    return p;
}

Program host_leaf(std::uint8_t code, const Cidr& c) {
    const std::size_t addr_len = c.address.family == k_family_inet ? 4 : 16;
    const auto len = static_cast<std::uint8_t>(sizeof(inet_diag_bc_op) + sizeof(inet_diag_hostcond) + addr_len);
    Program p;
    put_op(p, code, len, static_cast<std::uint16_t>(len + 4));
    inet_diag_hostcond cond{};
    cond.family = c.address.family;
    cond.prefix_len = c.prefix_len;
    cond.port = -1;
    const auto* b = reinterpret_cast<const std::uint8_t*>(&cond);
    p.insert(p.end(), b, b + sizeof cond);
    p.insert(p.end(), c.address.bytes.begin(), c.address.bytes.begin() + static_cast<long>(addr_len));
    return p;
}

// Both must match: A's rejects (jumps just past its end) become jumps past B's end.
Program all_of(Program a, const Program& b) {
    if (a.empty()) return b;
    if (b.empty()) return a;
    std::size_t at = 0;
    while (at < a.size()) {
        auto op = op_at(a, at);
        const std::size_t left = a.size() - at;
        if (op.code != INET_DIAG_BC_NOP && op.no == left + 4) {
            op.no = static_cast<std::uint16_t>(op.no + b.size());
            std::memcpy(a.data() + at, &op, sizeof op);
        }
        at += op.yes;
    }
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

// Either may match: A, then an unconditional jump over B (taken when A accepted), then B.
// A's rejects land on B; the jump's yes=4 keeps B on the yes chain for the audit.
Program any_of(Program a, const Program& b) {
    if (a.empty() || b.empty()) return {};  // one side matches everything
    put_op(a, INET_DIAG_BC_JMP, 4, static_cast<std::uint16_t>(b.size() + 4));
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

Program range_program(const PortRange& r, bool source) {
    Program p;
    if (r.lo > 0) p = port_leaf(source ? INET_DIAG_BC_S_GE : INET_DIAG_BC_D_GE, r.lo);
    if (r.hi < 65535) p = all_of(std::move(p), port_leaf(source ? INET_DIAG_BC_S_LE : INET_DIAG_BC_D_LE, r.hi));
    if (p.empty()) put_op(p, INET_DIAG_BC_NOP, 4, 0);  // 0-65535: always true
    return p;
}

template <class T, class Leaf>
Program alternatives(const std::vector<T>& items, Leaf leaf) {
    Program p;
    for (const auto& item : items) p = p.empty() ? leaf(item) : any_of(std::move(p), leaf(item));
    return p;
}
}  // namespace

bool Cidr::contains(const IpAddress& a) const {
    // As the kernel does: an IPv4 prefix also matches IPv4-mapped IPv6 addresses.
    const IpAddress probe = (address.family == k_family_inet) ? a.unmapped() : a;
    if (probe.family != address.family) return false;
    std::size_t bits = prefix_len;
    for (std::size_t i = 0; bits > 0; ++i, bits = bits >= 8 ? bits - 8 : 0) {
        const auto mask = static_cast<std::uint8_t>(bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff);
        if ((probe.bytes[i] & mask) != (address.bytes[i] & mask)) return false;
    }
    return true;
}

bool KernelFilter::matches(const SocketRecord& s) const {
    auto any_range = [](const std::vector<PortRange>& rs, auto pred) {
        if (rs.empty()) return true;
        for (const auto& r : rs)
            if (pred(r)) return true;
        return false;
    };
    auto any_cidr = [](const std::vector<Cidr>& cs, const IpAddress& a) {
        if (cs.empty()) return true;
        for (const auto& c : cs)
            if (c.contains(a)) return true;
        return false;
    };
    return any_range(sport, [&](const PortRange& r) { return r.contains(s.local.port); }) &&
           any_range(dport, [&](const PortRange& r) { return r.contains(s.peer.port); }) &&
           any_range(either_port, [&](const PortRange& r) { return r.contains(s.local.port) || r.contains(s.peer.port); }) &&
           any_cidr(local, s.local.address) && any_cidr(peer, s.peer.address);
}

std::vector<std::uint8_t> compile_bytecode(const KernelFilter& f) {
    Program p;
    p = all_of(std::move(p), alternatives(f.sport, [](const PortRange& r) { return range_program(r, true); }));
    p = all_of(std::move(p), alternatives(f.dport, [](const PortRange& r) { return range_program(r, false); }));
    p = all_of(std::move(p), alternatives(f.either_port, [](const PortRange& r) {
                   return any_of(range_program(r, true), range_program(r, false));
               }));
    p = all_of(std::move(p), alternatives(f.local, [](const Cidr& c) { return host_leaf(INET_DIAG_BC_S_COND, c); }));
    p = all_of(std::move(p), alternatives(f.peer, [](const Cidr& c) { return host_leaf(INET_DIAG_BC_D_COND, c); }));
    return p;
}

Result<PortRange> parse_port_range(std::string_view text, std::string_view flag) {
    auto number = [&](std::string_view s) -> std::optional<std::uint16_t> {
        unsigned v = 0;
        auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
        if (ec != std::errc() || end != s.data() + s.size() || s.empty() || v > 65535) return std::nullopt;
        return static_cast<std::uint16_t>(v);
    };
    const auto bad = [&] {
        return fail(std::string(flag) + " " + std::string(text), "not a port or range: use 0..65535 or LO-HI");
    };
    const auto dash = text.find('-');
    if (dash == std::string_view::npos) {
        auto p = number(text);
        if (!p) return bad();
        return PortRange{*p, *p};
    }
    auto lo = number(text.substr(0, dash));
    auto hi = number(text.substr(dash + 1));
    if (!lo || !hi) return bad();
    if (*lo > *hi) return fail(std::string(flag) + " " + std::string(text), "the range is empty (low end above high end)");
    return PortRange{*lo, *hi};
}

Result<Cidr> parse_cidr(std::string_view text, std::string_view flag) {
    const auto slash = text.find('/');
    auto address = parse_ip_address(text.substr(0, slash));
    const std::string where = std::string(flag) + " " + std::string(text);
    if (!address) return fail(where, "not an IPv4 or IPv6 address");
    Cidr c;
    c.address = *address;
    const unsigned max = address->family == k_family_inet ? 32 : 128;
    c.prefix_len = static_cast<std::uint8_t>(max);
    if (slash != std::string_view::npos) {
        const auto len_text = text.substr(slash + 1);
        unsigned len = 0;
        auto [end, ec] = std::from_chars(len_text.data(), len_text.data() + len_text.size(), len);
        if (ec != std::errc() || end != len_text.data() + len_text.size() || len_text.empty() || len > max)
            return fail(where, "prefix length must be 0.." + std::to_string(max));
        c.prefix_len = static_cast<std::uint8_t>(len);
    }
    // Host bits set below the prefix would never match in the kernel's comparison; clear them.
    for (unsigned bit = c.prefix_len; bit < max; ++bit)
        c.address.bytes[bit / 8] = static_cast<std::uint8_t>(c.address.bytes[bit / 8] & ~(0x80u >> (bit % 8)));
    return c;
}

}  // namespace kt
