#include "core/socket/diag_parse.hpp"

#include <gtest/gtest.h>

#include <limits>

#include <cerrno>

#include "core/socket/ip_text.hpp"
#include "core/socket/tcp_state.hpp"
#include "support/diag_bytes.hpp"

namespace kt {
namespace {

using test::Bytes;

class Collect : public SocketSink {
public:
    void on_socket(const SocketRecord& s) override { sockets.push_back(s); }
    std::vector<SocketRecord> sockets;
};

struct Parsed {
    Result<void> result;
    DiagProgress progress;
    std::vector<SocketRecord> sockets;
};

Parsed parse(const Bytes& b, DiagExpect expect = {}) {
    Collect c;
    Parsed p;
    p.result = parse_diag_chunk(b, expect, c, p.progress);
    p.sockets = c.sockets;
    return p;
}

// Found by the fuzzer: an NLMSG_ERROR carrying INT_MIN (only a --replay file can) made the
// message's -error undefined behaviour.
TEST(DiagParseTest, AnyErrorNumberInAReplyIsReportedWithoutOverflow) {
    nlmsgerr e{};
    e.error = std::numeric_limits<int>::min();
    test::Bytes payload;
    test::append_raw(payload, &e, sizeof e);
    auto p = parse(test::message({NLMSG_ERROR, 0, 0, payload}));
    ASSERT_FALSE(p.result.has_value());
    EXPECT_NE(p.result.error().why.find("with error 2147483648 (unknown)"), std::string::npos) << p.result.error().why;
}

TEST(DiagParseTest, SavedKernelReplyDecodesEverySocket) {
    const auto bytes = test::saved_mixed_dump();
    ASSERT_FALSE(bytes.empty());
    auto p = parse(bytes);
    ASSERT_TRUE(p.result.has_value()) << p.result.error().line();
    EXPECT_TRUE(p.progress.done);
    EXPECT_FALSE(p.progress.interrupted);
    ASSERT_EQ(p.sockets.size(), 9u);
    int listeners = 0, established = 0, time_wait = 0, keepalive = 0;
    for (const auto& s : p.sockets) {
        listeners += s.state == 10;
        established += s.state == 1;
        time_wait += s.state == 6;
        keepalive += s.timer == DiagTimer::keepalive;
    }
    EXPECT_EQ(listeners, 2);
    EXPECT_EQ(established, 6);
    EXPECT_EQ(time_wait, 1);
    EXPECT_EQ(keepalive, 1);
}

TEST(DiagParseTest, ListenersComeFirstInTheSavedReply) {
    auto p = parse(test::saved_mixed_dump());
    ASSERT_GE(p.sockets.size(), 2u);
    EXPECT_EQ(p.sockets[0].state, 10);
    EXPECT_EQ(p.sockets[1].state, 10);
}

TEST(DiagParseTest, TimeWaitHasTimerThreeAndNoInode) {
    for (const auto& s : parse(test::saved_mixed_dump()).sockets) {
        if (s.state != 6) continue;
        EXPECT_EQ(s.timer, DiagTimer::time_wait);
        EXPECT_EQ(s.inode, 0u);
        EXPECT_GT(s.expires_ms, 0u);
        EXPECT_LE(s.expires_ms, 60000u);
    }
}

TEST(DiagParseTest, KeepaliveTimerCarriesExpiryAndProbeCount) {
    for (const auto& s : parse(test::saved_mixed_dump()).sockets) {
        if (s.timer != DiagTimer::keepalive) continue;
        EXPECT_EQ(endpoint_string(s.peer), "127.0.0.1:8080");
        EXPECT_GT(s.expires_ms, 20000u);
        EXPECT_LE(s.expires_ms, 30000u);
        EXPECT_EQ(s.retrans, 0);
    }
}

TEST(DiagParseTest, Ipv4MappedIpv6IsKeptAsIpv6AndUnmapsToIpv4) {
    bool seen = false;
    for (const auto& s : parse(test::saved_mixed_dump()).sockets) {
        if (!s.local.address.is_v4_mapped()) continue;
        seen = true;
        EXPECT_EQ(s.family, k_family_inet6);
        EXPECT_EQ(endpoint_string(s.local), "[::ffff:127.0.0.1]:8443");
        EXPECT_EQ(ip_string(s.local.address.unmapped()), "127.0.0.1");
    }
    EXPECT_TRUE(seen);
}

TEST(DiagParseTest, EveryTruncationOfTheSavedReplyIsAnErrorOrAShorterListNeverACrash) {
    const auto bytes = test::saved_mixed_dump();
    for (std::size_t cut = 1; cut < bytes.size(); ++cut) {
        Bytes part(bytes.begin(), bytes.begin() + static_cast<long>(cut));
        auto p = parse(part);
        EXPECT_FALSE(p.progress.done && p.sockets.size() < 9u) << cut;
        if (!p.result) {
            EXPECT_NE(p.result.error().why.find("truncated"), std::string::npos) << cut;
        }
    }
}

TEST(DiagParseTest, TruncatedMessageNamesTheOffset) {
    auto b = test::message({SOCK_DIAG_BY_FAMILY, NLM_F_MULTI, 0, test::socket_payload(1, 1, 2)});
    b.resize(b.size() - 8);
    auto p = parse(b);
    ASSERT_FALSE(p.result.has_value());
    EXPECT_EQ(p.result.error().what, "sock_diag reply");
    EXPECT_NE(p.result.error().why.find("truncated netlink message at byte 0"), std::string::npos);
}

TEST(DiagParseTest, PayloadShorterThanInetDiagMsgIsTruncated) {
    auto p = parse(test::message({SOCK_DIAG_BY_FAMILY, NLM_F_MULTI, 0, Bytes(20, 0)}));
    ASSERT_FALSE(p.result.has_value());
    EXPECT_NE(p.result.error().why.find("truncated inet_diag_msg"), std::string::npos);
}

TEST(DiagParseTest, NlmsgErrorBecomesAnErrorWithItsErrno) {
    auto p = parse(test::error_message(EPERM));
    ASSERT_FALSE(p.result.has_value());
    EXPECT_EQ(kernel_errno_of(p.result.error()), EPERM);
    EXPECT_NE(p.result.error().why.find("Operation not permitted"), std::string::npos) << p.result.error().why;
}

TEST(DiagParseTest, DoneWithANegativeStatusIsAnError) {
    auto p = parse(test::done_message(0, -ENOBUFS));
    ASSERT_FALSE(p.result.has_value());
    EXPECT_EQ(kernel_errno_of(p.result.error()), ENOBUFS);
}

TEST(DiagParseTest, DumpInterruptedFlagIsReported) {
    auto b = test::concat({test::message({SOCK_DIAG_BY_FAMILY, NLM_F_MULTI | NLM_F_DUMP_INTR, 0,
                                          test::socket_payload(1, 10, 20)}),
                           test::done_message()});
    auto p = parse(b);
    ASSERT_TRUE(p.result.has_value());
    EXPECT_TRUE(p.progress.interrupted);
    ASSERT_EQ(p.sockets.size(), 1u);
    EXPECT_TRUE(p.sockets[0].dump_interrupted);
}

TEST(DiagParseTest, UnknownAttributesAreSkipped) {
    const auto attrs = test::concat({test::attribute(200, {1, 2, 3}), test::attribute(8, {0})});
    auto b = test::concat({test::message({SOCK_DIAG_BY_FAMILY, NLM_F_MULTI, 0, test::socket_payload(1, 10, 20, 2, 7, attrs)}),
                           test::done_message()});
    auto p = parse(b);
    ASSERT_TRUE(p.result.has_value()) << p.result.error().line();
    ASSERT_EQ(p.sockets.size(), 1u);
    EXPECT_EQ(p.sockets[0].local.port, 10);
    EXPECT_EQ(p.sockets[0].peer.port, 20);
    EXPECT_EQ(p.sockets[0].inode, 7u);
    EXPECT_EQ(p.sockets[0].timer, DiagTimer::keepalive);
}

TEST(DiagParseTest, AttributeLongerThanItsMessageIsAnError) {
    Bytes attr = test::attribute(200, {1, 2, 3, 4});
    attr[0] = 64;  // claims 64 bytes
    auto p = parse(test::message({SOCK_DIAG_BY_FAMILY, NLM_F_MULTI, 0, test::socket_payload(1, 1, 2, 0, 1, attr)}));
    ASSERT_FALSE(p.result.has_value());
    EXPECT_NE(p.result.error().why.find("truncated attribute"), std::string::npos);
}

TEST(DiagParseTest, MessagesOfAnotherRequestAreRejectedWhenIdsAreChecked) {
    auto b = test::message({SOCK_DIAG_BY_FAMILY, NLM_F_MULTI, 41, test::socket_payload(1, 1, 2)});
    EXPECT_TRUE(parse(b).result.has_value());
    auto p = parse(b, DiagExpect{42, 0, true});
    ASSERT_FALSE(p.result.has_value());
    EXPECT_NE(p.result.error().why.find("another request"), std::string::npos);
}

TEST(DiagParseTest, CompatRepliesOfTypeTcpdiagGetsockAreSockets) {
    auto p = parse(test::concat({test::message({TCPDIAG_GETSOCK, NLM_F_MULTI, 0, test::socket_payload(10, 80, 0)}),
                                 test::done_message()}));
    ASSERT_TRUE(p.result.has_value());
    ASSERT_EQ(p.sockets.size(), 1u);
    EXPECT_EQ(p.sockets[0].state, 10);
}

TEST(DiagParseTest, UnknownFamilyIsAnError) {
    auto payload = test::socket_payload(1, 1, 2);
    payload[0] = 1;  // AF_UNIX
    EXPECT_FALSE(parse(test::message({SOCK_DIAG_BY_FAMILY, NLM_F_MULTI, 0, payload})).result.has_value());
}

TEST(DiagParseTest, EmptyInputIsNotDone) {
    auto p = parse({});
    EXPECT_TRUE(p.result.has_value());
    EXPECT_FALSE(p.progress.done);
}

}  // namespace
}  // namespace kt

namespace kt {
namespace {

TEST(DiagParseTest, OnlyTheLastPartOfADumpEndsIt) {
    const auto sock = test::message({SOCK_DIAG_BY_FAMILY, NLM_F_MULTI, 0, test::socket_payload(1, 1, 2)});
    EXPECT_FALSE(chunk_ends_dump(test::concat({sock, sock})));
    EXPECT_TRUE(chunk_ends_dump(test::concat({sock, test::done_message()})));
    EXPECT_TRUE(chunk_ends_dump(test::error_message(-EINVAL)));
    EXPECT_FALSE(chunk_ends_dump(test::error_message(0)));  // an ACK
    auto truncated = test::concat({sock, sock});
    truncated.resize(truncated.size() - 3);
    EXPECT_TRUE(chunk_ends_dump(truncated));  // the parser will say what is wrong
    const auto saved = test::saved_mixed_dump();
    EXPECT_TRUE(chunk_ends_dump(saved));
    EXPECT_FALSE(chunk_ends_dump({}));
}

}  // namespace
}  // namespace kt
