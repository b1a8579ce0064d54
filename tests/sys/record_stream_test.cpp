#include "sys/record_stream.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <thread>
#include <vector>

namespace kt::sys {
namespace {

constexpr std::size_t k_record = 12;

// A stream socket whose writer sends `bytes` in pieces of uneven sizes, so that reads end
// inside records, then closes its end. The reader's end is `fd()`.
class Sender {
public:
    explicit Sender(std::vector<std::uint8_t> bytes) : m_bytes(std::move(bytes)) {
        int pair[2];
        EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair), 0);
        m_read = pair[0];
        m_write = pair[1];
        m_thread = std::thread([this] {
            std::size_t at = 0;
            for (std::size_t piece = 1; at < m_bytes.size(); piece = piece * 7 % 997 + 1) {
                const std::size_t n = std::min(piece, m_bytes.size() - at);
                // MSG_NOSIGNAL: a reader that stopped and closed its end gives EPIPE, not SIGPIPE.
                const ssize_t sent = ::send(m_write, m_bytes.data() + at, n, MSG_NOSIGNAL);
                if (sent <= 0) break;
                at += static_cast<std::size_t>(sent);
            }
            ::close(m_write);
        });
    }
    ~Sender() {
        ::shutdown(m_read, SHUT_RDWR);  // a writer still sending gets EPIPE and ends
        m_thread.join();
        ::close(m_read);
    }
    int fd() const { return m_read; }

private:
    std::vector<std::uint8_t> m_bytes;
    int m_read = -1, m_write = -1;
    std::thread m_thread;
};

// `n` records, record i holding i in each of its bytes' first four and its index's low byte
// in the rest.
std::vector<std::uint8_t> records(std::uint32_t n) {
    std::vector<std::uint8_t> out(n * k_record);
    for (std::uint32_t i = 0; i < n; ++i) {
        std::memcpy(out.data() + i * k_record, &i, sizeof i);
        std::memset(out.data() + i * k_record + sizeof i, static_cast<int>(i & 0xff), k_record - sizeof i);
    }
    return out;
}

class RecordStreamTest : public ::testing::TestWithParam<bool> {};

TEST_P(RecordStreamTest, RecordsSplitByReadsArriveWholeAndInOrder) {
    const std::uint32_t n = 50000;  // 600 kB: many chunks, and reads that end inside records
    Sender sender(records(n));
    std::vector<std::uint8_t> got;
    std::size_t chunks = 0;
    auto r = stream_fd_records(sender.fd(), k_record, GetParam(), [&](std::span<const std::uint8_t> bytes) -> Result<void> {
        EXPECT_EQ(bytes.size() % k_record, 0u);
        got.insert(got.end(), bytes.begin(), bytes.end());
        ++chunks;
        return {};
    }, 2);
    ASSERT_TRUE(r) << r.error().line();
    EXPECT_GT(chunks, 1u);
    EXPECT_EQ(got, records(n));
}

TEST_P(RecordStreamTest, AnEndInsideARecordIsAnErrorAfterTheWholeOnes) {
    auto bytes = records(3);
    bytes.resize(bytes.size() + 5, 0xee);
    Sender sender(bytes);
    std::size_t whole = 0;
    auto r = stream_fd_records(sender.fd(), k_record, GetParam(), [&](std::span<const std::uint8_t> b) -> Result<void> {
        whole += b.size() / k_record;
        return {};
    });
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().line().find("ended inside a record"), std::string::npos) << r.error().line();
    EXPECT_EQ(whole, 3u);
}

TEST_P(RecordStreamTest, AChunkRefusedStopsTheStreamAndItsErrorIsTheResult) {
    Sender sender(records(200000));  // more than the socket buffers hold: the sender waits on us
    std::size_t calls = 0;
    auto r = stream_fd_records(sender.fd(), k_record, GetParam(), [&](std::span<const std::uint8_t>) -> Result<void> {
        if (++calls == 2) return fail("the caller", "has seen enough");
        return {};
    });
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().line(), fail("the caller", "has seen enough").error().line());
    EXPECT_EQ(calls, 2u);
}

INSTANTIATE_TEST_SUITE_P(ReadHereOrBeside, RecordStreamTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& p) { return p.param ? "Beside" : "Here"; });

}  // namespace
}  // namespace kt::sys
