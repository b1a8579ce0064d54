#include "core/change/pass_writes.hpp"

#include <gtest/gtest.h>

namespace kt {
namespace {

const std::vector<OptionWrite> k_enable = {{SocketOption::idle, 60}, {SocketOption::interval, 10}, {SocketOption::keepalive, 1}};
const std::vector<OptionWrite> k_toggle = {
    {SocketOption::keepalive, 0}, {SocketOption::idle, 60}, {SocketOption::keepalive, 1}};

TEST(PassWritesTest, SocketsWithTheSameWritesShareOneSequence) {
    PassWrites w;
    w.add(101, k_enable);
    w.add(102, k_toggle);
    w.add(103, k_enable);  // not the one just before: found among those kept
    w.add(104, k_enable);  // the one just before
    ASSERT_EQ(w.sequences().size(), 2u);
    ASSERT_EQ(w.size(), 4u);
    EXPECT_EQ(w.cookie(2), 103u);
    EXPECT_EQ(w.writes(0), k_enable);
    EXPECT_EQ(w.writes(1), k_toggle);
    EXPECT_EQ(w.writes(2), k_enable);
    EXPECT_EQ(w.writes(3), k_enable);
    EXPECT_EQ(w.sockets()[0].sequence, w.sockets()[3].sequence);
    EXPECT_NE(w.sockets()[0].sequence, w.sockets()[1].sequence);
}

TEST(PassWritesTest, SequencesDifferingInOneValueOrInOrderAreKeptApart) {
    PassWrites w;
    w.add(1, {{SocketOption::idle, 60}, {SocketOption::keepalive, 1}});
    w.add(2, {{SocketOption::idle, 61}, {SocketOption::keepalive, 1}});
    w.add(3, {{SocketOption::keepalive, 1}, {SocketOption::idle, 60}});
    w.add(4, {});
    EXPECT_EQ(w.sequences().size(), 4u);
    EXPECT_EQ(w.writes(1)[0].value, 61u);
    EXPECT_EQ(w.writes(2)[0].option, SocketOption::keepalive);
    EXPECT_TRUE(w.writes(3).empty());
}

}  // namespace
}  // namespace kt
