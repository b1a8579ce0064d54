#include "engine/bpf_pass_targets.hpp"

#include <gtest/gtest.h>

#include "core/socket/ip_text.hpp"
#include "core/socket/tcp_state.hpp"

namespace kt::engine {
namespace {

PassSocket socket_of(std::uint64_t cookie, std::uint32_t inode, TcpState state, std::uint16_t local_port) {
    PassSocket k;
    k.cookie = cookie;
    k.inode = inode;
    k.state = static_cast<std::uint8_t>(state);
    k.local = {*parse_ip_address("10.0.0.1"), local_port};
    return k;
}

std::vector<NetnsView> two_namespaces() {
    std::vector<NetnsView> views(2);
    views[0].target.label = "host";
    views[0].sockets = {socket_of(1, 10, TcpState::listen, 80), socket_of(2, 11, TcpState::established, 80),
                        socket_of(3, 12, TcpState::established, 80),
                        socket_of(4, 0, TcpState::established, 80),  // waiting in the accept queue
                        socket_of(5, 0, TcpState::close_wait, 80),   // the same, its peer gone already
                        socket_of(6, 0, TcpState::fin_wait2, 80)};   // an orphan: neither
    views[1].target.label = "pod:web";
    views[1].defaults = {60, 10, 3};
    views[1].sockets = {socket_of(7, 20, TcpState::established, 443)};
    return views;
}

TEST(BpfPassTargetsTest, KeepsTheOptionsOfTheChosenSocketsAndEveryListenerAndQueuedConnection) {
    auto views = two_namespaces();
    const ChosenSockets chosen = {{true, true, false, true, true, true}, {true}};
    const auto pass = pass_targets_of(std::move(views), &chosen);
    ASSERT_EQ(pass.namespaces.size(), 2u);
    EXPECT_EQ(pass.namespaces[0].target.label, "host");
    EXPECT_EQ(pass.namespaces[1].defaults.idle_seconds, 60u);
    // Sockets without an inode are never found by one, whatever is chosen.
    EXPECT_EQ(pass.by_inode.size(), 3u);
    ASSERT_TRUE(pass.by_inode.find(11));
    EXPECT_EQ(pass.by_inode.find(11)->cookie, 2u);
    EXPECT_EQ(pass.by_inode.find(11)->netns, 0u);
    EXPECT_FALSE(pass.by_inode.find(12));
    ASSERT_TRUE(pass.by_inode.find(20));
    EXPECT_EQ(pass.by_inode.find(20)->netns, 1u);
    ASSERT_EQ(pass.namespaces[0].listeners.size(), 1u);
    EXPECT_EQ(pass.namespaces[0].listeners[0].cookie, 1u);
    ASSERT_EQ(pass.namespaces[0].queued.size(), 2u);
    EXPECT_EQ(pass.namespaces[0].queued[0].cookie, 4u);
    EXPECT_EQ(pass.namespaces[0].queued[1].cookie, 5u);
    EXPECT_TRUE(pass.namespaces[1].listeners.empty());
    // The records are let go as each namespace is gone through.
    EXPECT_EQ(views[0].sockets.capacity(), 0u);
    EXPECT_EQ(views[1].sockets.capacity(), 0u);
}

TEST(BpfPassTargetsTest, WithoutAChoiceEverySocketWithAnInodeIsKept) {
    const auto pass = pass_targets_of(two_namespaces(), nullptr);
    EXPECT_EQ(pass.by_inode.size(), 4u);
    for (std::uint32_t inode : {10u, 11u, 12u, 20u}) EXPECT_TRUE(pass.by_inode.find(inode)) << inode;
}

// The engine reads both records through the one rule for exact values.
TEST(BpfPassTargetsTest, OptionsAreTheSocketsOwnOrItsNamespacesDefaults) {
    const KeepaliveDefaults defaults{7200, 75, 9};
    PassOptions own;
    own.idle_jiffies = 60 * 250;
    own.interval_jiffies = 0;  // not set on the socket: the sysctl applies
    own.count = 4;
    own.user_timeout_ms = 30000;
    own.keepalive = true;
    const auto o = exact_options_of(own, 250, defaults).options;
    EXPECT_TRUE(o.keepalive);
    EXPECT_EQ(o.idle_seconds, 60u);
    EXPECT_EQ(o.interval_seconds, 75u);
    EXPECT_EQ(o.count, 4u);
    EXPECT_EQ(o.user_timeout_ms, 30000u);
    PassSocket inherited;
    const auto d = exact_options_of(inherited, 250, defaults).options;
    EXPECT_FALSE(d.keepalive);
    EXPECT_EQ(d.idle_seconds, 7200u);
    EXPECT_EQ(d.count, 9u);
}

// Target sockets numbered close together are found through an array over their span; a
// shared socket keeps its first holder (the pass gives the lowest pid, then fd, first).
TEST(BpfPassTargetsTest, InodeOwnersKeepTheFirstHolderOfEachSocket) {
    const std::vector<HeldSocket> held = {{1000, {7, 3}}, {1002, {7, 4}}, {1000, {9, 5}}, {1500, {9, 6}}};
    const InodeOwners owners(held);
    EXPECT_TRUE(owners.dense());
    ASSERT_TRUE(owners.find(1000));
    EXPECT_EQ(owners.find(1000)->pid, 7);
    EXPECT_EQ(owners.find(1000)->fd, 3);
    EXPECT_EQ(owners.find(1500)->pid, 9);
    EXPECT_EQ(owners.find(1500)->fd, 6);
    for (std::uint32_t missing : {0u, 999u, 1001u, 1501u, 4000000000u}) EXPECT_FALSE(owners.find(missing)) << missing;
}

TEST(BpfPassTargetsTest, InodeOwnersFarApartAreHashed) {
    const std::vector<HeldSocket> held = {{5, {1, 3}}, {3000000000u, {2, 4}}, {5, {3, 9}}};
    const InodeOwners owners(held);
    EXPECT_FALSE(owners.dense());
    EXPECT_EQ(owners.find(5)->pid, 1);
    EXPECT_EQ(owners.find(3000000000u)->fd, 4);
    EXPECT_FALSE(owners.find(6));
    EXPECT_FALSE(InodeOwners({}).find(5));
}

}  // namespace
}  // namespace kt::engine
