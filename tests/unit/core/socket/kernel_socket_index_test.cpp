// The cookie index over one iterator pass, and the exact values read through it.
#include <gtest/gtest.h>

#include "core/socket/kernel_socket_index.hpp"

namespace kt {
namespace {

SocketOptionsRecord record(std::uint64_t cookie, std::uint32_t idle_jiffies) {
    SocketOptionsRecord r;
    r.cookie = cookie;
    r.idle_jiffies = idle_jiffies;
    r.keepalive = true;
    return r;
}

TEST(CookieIndexTest, FindsEveryRecordOfALargePassAndNothingElse) {
    // Cookies as the kernel hands them out: in sequence, with gaps where other namespaces'
    // sockets took theirs.
    std::vector<SocketOptionsRecord> records;
    for (std::uint64_t i = 0; i < 50000; ++i) records.push_back(record(1000 + i * 3, static_cast<std::uint32_t>(i)));
    const CookieIndex<SocketOptionsRecord> index(records);
    ASSERT_EQ(index.size(), 50000u);
    for (std::uint64_t i = 0; i < 50000; ++i) {
        const auto* found = index.find(1000 + i * 3);
        ASSERT_NE(found, nullptr) << i;
        EXPECT_EQ(found->idle_jiffies, i);
        EXPECT_EQ(index.find(1001 + i * 3), nullptr);
    }
    EXPECT_EQ(index.find(0), nullptr);
    EXPECT_EQ(index.find(~std::uint64_t{0}), nullptr);
}

TEST(CookieIndexTest, AnEmptyPassFindsNothing) {
    const CookieIndex<SocketOptionsRecord> none;
    EXPECT_EQ(none.find(1), nullptr);
    const CookieIndex<SocketOptionsRecord> empty(std::vector<SocketOptionsRecord>{});
    EXPECT_EQ(empty.find(1), nullptr);
}

TEST(CookieIndexTest, ACookieGivenTwiceKeepsItsLaterRecord) {
    const CookieIndex<SocketOptionsRecord> index({record(7, 100), record(8, 1), record(7, 200)});
    ASSERT_NE(index.find(7), nullptr);
    EXPECT_EQ(index.find(7)->idle_jiffies, 200u);
    EXPECT_EQ(index.find(8)->idle_jiffies, 1u);
}

TEST(RecordIndexTest, FindsRecordsByTheMemberItIsKeyedOn) {
    struct ByInode {
        std::uint64_t inode = 0;
        int netns = 0;
    };
    std::vector<ByInode> records;
    for (std::uint64_t i = 1; i <= 1000; ++i) records.push_back({40000 + i * 2, static_cast<int>(i % 3)});
    const RecordIndex<ByInode, &ByInode::inode> index(records);
    for (std::uint64_t i = 1; i <= 1000; ++i) {
        const ByInode* found = index.find(40000 + i * 2);
        ASSERT_NE(found, nullptr) << i;
        EXPECT_EQ(found->netns, static_cast<int>(i % 3));
        EXPECT_EQ(index.find(40001 + i * 2), nullptr);
    }
}

TEST(ExactValuesTest, ValuesTheSocketSetAndValuesItInherits) {
    SocketOptionsRecord set = record(5, 41 * 250);
    set.interval_jiffies = 7 * 250;
    set.count = 3;
    set.user_timeout_ms = 9000;
    const ExactValues values{CookieIndex<SocketOptionsRecord>({set, record(6, 0)}), 250, KeepaliveDefaults{600, 60, 4}};
    const auto own = values.find(5);
    ASSERT_TRUE(own.has_value());
    EXPECT_EQ(own->options.idle_seconds, 41u);
    EXPECT_EQ(own->options.interval_seconds, 7u);
    EXPECT_EQ(own->options.count, 3u);
    EXPECT_EQ(own->options.user_timeout_ms, 9000u);
    EXPECT_FALSE(own->idle_inherited || own->interval_inherited || own->count_inherited);
    const auto inherited = values.find(6);
    ASSERT_TRUE(inherited.has_value());
    EXPECT_EQ(inherited->options.idle_seconds, 600u);
    EXPECT_EQ(inherited->options.interval_seconds, 60u);
    EXPECT_EQ(inherited->options.count, 4u);
    EXPECT_TRUE(inherited->idle_inherited && inherited->interval_inherited && inherited->count_inherited);
    EXPECT_FALSE(values.find(99).has_value());
}

}  // namespace
}  // namespace kt
