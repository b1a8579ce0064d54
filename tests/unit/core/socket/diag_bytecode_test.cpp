#include "core/socket/diag_bytecode.hpp"

#include <gtest/gtest.h>
#include <linux/inet_diag.h>

#include <cstring>

#include "core/socket/ip_text.hpp"

namespace kt {
namespace {

using Bytes = std::vector<std::uint8_t>;

// inet_diag_bc_audit and inet_diag_bc_run (net/ipv4/inet_diag.c), transcribed, so every
// program the builder makes is checked the way the kernel checks and runs it.
inet_diag_bc_op op_at(const Bytes& b, std::size_t at) {
    inet_diag_bc_op op;
    std::memcpy(&op, b.data() + at, sizeof op);
    return op;
}

bool valid_cc(const Bytes& b, int len, int cc) {
    std::size_t at = 0;
    while (len >= 0) {
        if (cc > len) return false;
        if (cc == len) return true;
        const auto op = op_at(b, at);
        if (op.yes < 4 || op.yes & 3) return false;
        len -= op.yes;
        at += op.yes;
    }
    return false;
}

bool audit(const Bytes& b) {
    int len = static_cast<int>(b.size());
    std::size_t at = 0;
    while (len > 0) {
        const auto op = op_at(b, at);
        int min_len = sizeof(inet_diag_bc_op);
        switch (op.code) {
            case INET_DIAG_BC_S_COND:
            case INET_DIAG_BC_D_COND: {
                if (len < static_cast<int>(sizeof op + sizeof(inet_diag_hostcond))) return false;
                inet_diag_hostcond c;
                std::memcpy(&c, b.data() + at + sizeof op, sizeof c);
                min_len += static_cast<int>(sizeof c) + (c.family == 2 ? 4 : 16);
                if (len < min_len || op.yes < min_len) return false;
                break;
            }
            case INET_DIAG_BC_S_GE:
            case INET_DIAG_BC_S_LE:
            case INET_DIAG_BC_D_GE:
            case INET_DIAG_BC_D_LE:
                min_len += static_cast<int>(sizeof(inet_diag_bc_op));
                if (len < min_len) return false;
                break;
            case INET_DIAG_BC_JMP:
            case INET_DIAG_BC_NOP: break;
            default: return false;
        }
        if (op.code != INET_DIAG_BC_NOP) {
            if (op.no < min_len || op.no > len + 4 || op.no & 3) return false;
            if (op.no < len && !valid_cc(b, static_cast<int>(b.size()), len - op.no)) return false;
        }
        if (op.yes < min_len || op.yes > len + 4 || op.yes & 3) return false;
        at += op.yes;
        len -= op.yes;
    }
    return len == 0;
}

bool bitstring_match(const std::uint8_t* a, const std::uint8_t* b, int bits) {
    const int words = bits / 8;
    if (words && std::memcmp(a, b, static_cast<std::size_t>(words))) return false;
    bits %= 8;
    if (!bits) return true;
    const auto mask = static_cast<std::uint8_t>(0xff << (8 - bits));
    return (a[words] & mask) == (b[words] & mask);
}

bool run(const Bytes& b, const SocketRecord& s) {
    int len = static_cast<int>(b.size());
    std::size_t at = 0;
    while (len > 0) {
        const auto op = op_at(b, at);
        bool yes = true;
        switch (op.code) {
            case INET_DIAG_BC_NOP: break;
            case INET_DIAG_BC_JMP: yes = false; break;
            case INET_DIAG_BC_S_GE: yes = s.local.port >= op_at(b, at + 4).no; break;
            case INET_DIAG_BC_S_LE: yes = s.local.port <= op_at(b, at + 4).no; break;
            case INET_DIAG_BC_D_GE: yes = s.peer.port >= op_at(b, at + 4).no; break;
            case INET_DIAG_BC_D_LE: yes = s.peer.port <= op_at(b, at + 4).no; break;
            case INET_DIAG_BC_S_COND:
            case INET_DIAG_BC_D_COND: {
                inet_diag_hostcond c;
                std::memcpy(&c, b.data() + at + 4, sizeof c);
                const std::uint8_t* want = b.data() + at + 4 + sizeof c;
                const Endpoint& e = op.code == INET_DIAG_BC_S_COND ? s.local : s.peer;
                if (c.family != 0 && c.family != s.family) {
                    yes = s.family == 10 && c.family == 2 && e.address.is_v4_mapped() &&
                          bitstring_match(e.address.bytes.data() + 12, want, c.prefix_len);
                    break;
                }
                yes = c.prefix_len == 0 || bitstring_match(e.address.bytes.data(), want, c.prefix_len);
                break;
            }
        }
        const int step = yes ? op.yes : op.no;
        len -= step;
        at += static_cast<std::size_t>(step);
    }
    return len == 0;
}

SocketRecord sock(const char* local, std::uint16_t lport, const char* peer, std::uint16_t pport) {
    SocketRecord s;
    s.local = {*parse_ip_address(local), lport};
    s.peer = {*parse_ip_address(peer), pport};
    s.family = s.local.address.family;
    return s;
}

PortRange port(std::uint16_t p) { return {p, p}; }
Cidr cidr(const char* text) { return *parse_cidr(text, "--peer"); }

TEST(DiagBytecodeTest, EmptyFilterCompilesToNothing) { EXPECT_TRUE(compile_bytecode({}).empty()); }

TEST(DiagBytecodeTest, SourcePortIsAGreaterEqualAndLessEqualPairOnGoldenBytes) {
    KernelFilter f;
    f.sport = {port(80)};
    // S_GE yes 8 no 20 (past the end: reject), port 80; S_LE yes 8 no 12 (reject), port 80.
    const Bytes golden = {INET_DIAG_BC_S_GE, 8, 20, 0, 0, 0, 80, 0, INET_DIAG_BC_S_LE, 8, 12, 0, 0, 0, 80, 0};
    EXPECT_EQ(compile_bytecode(f), golden);
}

TEST(DiagBytecodeTest, EitherPortIsAnOrWithAJumpOnGoldenBytes) {
    KernelFilter f;
    f.either_port = {port(443)};
    const auto bc = compile_bytecode(f);
    // [S_GE 8,20][S_LE 8,12] JMP(4, 20) [D_GE 8,20][D_LE 8,12]; 443 = 0x01bb.
    const Bytes golden = {INET_DIAG_BC_S_GE, 8, 20, 0, 0, 0, 0xbb, 1, INET_DIAG_BC_S_LE, 8, 12, 0, 0, 0, 0xbb, 1,
                          INET_DIAG_BC_JMP,  4, 20, 0,
                          INET_DIAG_BC_D_GE, 8, 20, 0, 0, 0, 0xbb, 1, INET_DIAG_BC_D_LE, 8, 12, 0, 0, 0, 0xbb, 1};
    EXPECT_EQ(bc, golden);
}

TEST(DiagBytecodeTest, PeerCidrIsAHostConditionOnGoldenBytes) {
    KernelFilter f;
    f.peer = {cidr("10.1.0.0/16")};
    // D_COND yes 16 no 20; hostcond family 2, prefix 16, port -1; address 10.1.0.0.
    const Bytes golden = {INET_DIAG_BC_D_COND, 16, 20, 0, 2, 16, 0, 0, 0xff, 0xff, 0xff, 0xff, 10, 1, 0, 0};
    EXPECT_EQ(compile_bytecode(f), golden);
}

TEST(DiagBytecodeTest, EveryCombinationPassesTheKernelAuditAndAgreesWithUserSpaceMatching) {
    std::vector<KernelFilter> filters;
    {
        KernelFilter f;
        f.sport = {port(80), PortRange{8000, 8100}};
        filters.push_back(f);
        f.dport = {PortRange{1024, 65535}};
        filters.push_back(f);
        f.either_port = {port(443), port(8080)};
        filters.push_back(f);
        f.peer = {cidr("127.0.0.0/8"), cidr("::1")};
        filters.push_back(f);
        f.local = {cidr("127.0.0.2")};
        filters.push_back(f);
    }
    {
        KernelFilter f;
        f.either_port = {PortRange{0, 65535}};
        filters.push_back(f);
        f.local = {cidr("0.0.0.0/0")};
        filters.push_back(f);
    }
    std::vector<SocketRecord> sockets;
    for (const char* a : {"127.0.0.1", "127.0.0.2", "10.0.0.1", "::1", "::ffff:127.0.0.2", "2001:db8::1"})
        for (int lp : {80, 443, 8050, 8080, 30000})
            for (int pp : {80, 443, 8080, 50000}) {
                const bool v6 = std::string(a).find(':') != std::string::npos;
                sockets.push_back(sock(a, static_cast<std::uint16_t>(lp), v6 ? "::1" : "127.0.0.1", static_cast<std::uint16_t>(pp)));
            }
    for (std::size_t i = 0; i < filters.size(); ++i) {
        const auto bc = compile_bytecode(filters[i]);
        ASSERT_TRUE(audit(bc)) << "filter " << i;
        for (const auto& s : sockets)
            EXPECT_EQ(run(bc, s), filters[i].matches(s))
                << "filter " << i << " " << endpoint_string(s.local) << " -> " << endpoint_string(s.peer);
    }
}

TEST(DiagBytecodeTest, Ipv4PrefixMatchesIpv4MappedAddressesAsTheKernelDoes) {
    EXPECT_TRUE(cidr("127.0.0.0/8").contains(*parse_ip_address("::ffff:127.9.9.9")));
    EXPECT_FALSE(cidr("::1").contains(*parse_ip_address("127.0.0.1")));
}

TEST(DiagBytecodeTest, PortRangesParseAndRejectNonsense) {
    EXPECT_EQ(parse_port_range("80", "--sport"), (PortRange{80, 80}));
    EXPECT_EQ(parse_port_range("8000-8100", "--sport"), (PortRange{8000, 8100}));
    EXPECT_EQ(parse_port_range("70000", "--sport").error().line(),
              "--sport 70000: not a port or range: use 0..65535 or LO-HI");
    EXPECT_FALSE(parse_port_range("90-80", "--sport").has_value());
    EXPECT_FALSE(parse_port_range("http", "--sport").has_value());
    EXPECT_FALSE(parse_port_range("", "--sport").has_value());
}

TEST(DiagBytecodeTest, CidrsParseClearHostBitsAndRejectBadPrefixes) {
    auto c = parse_cidr("10.1.2.3/16", "--peer");
    ASSERT_TRUE(c.has_value());
    EXPECT_EQ(ip_string(c->address), "10.1.0.0");
    EXPECT_EQ(parse_cidr("::1", "--peer")->prefix_len, 128);
    EXPECT_EQ(parse_cidr("1.2.3.4/33", "--peer").error().line(), "--peer 1.2.3.4/33: prefix length must be 0..32");
    EXPECT_EQ(parse_cidr("nope", "--local").error().line(), "--local nope: not an IPv4 or IPv6 address");
}

}  // namespace
}  // namespace kt
