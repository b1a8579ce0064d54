#include "core/socket/socket_role.hpp"

#include <gtest/gtest.h>

#include "core/socket/ip_text.hpp"
#include "core/socket/keepalive_observed.hpp"
#include "core/socket/tcp_state.hpp"

namespace kt {
namespace {

SocketRecord sock(std::uint8_t state, const char* local, std::uint16_t port, DiagTimer timer = DiagTimer::none) {
    SocketRecord s;
    s.state = state;
    s.local = {*parse_ip_address(local), port};
    s.family = s.local.address.family;
    s.timer = timer;
    return s;
}

TEST(SocketRoleTest, SocketOnAListenersEndpointWasAccepted) {
    ListenerIndex idx;
    idx.add(sock(10, "127.0.0.1", 8080));
    EXPECT_EQ(idx.role_of(sock(1, "127.0.0.1", 8080)), SocketRole::accepted);
    EXPECT_EQ(idx.role_of(sock(1, "127.0.0.2", 8080)), SocketRole::upstream);
    EXPECT_EQ(idx.role_of(sock(1, "127.0.0.1", 40000)), SocketRole::upstream);
    EXPECT_EQ(idx.role_of(sock(10, "127.0.0.1", 8080)), SocketRole::listener);
}

TEST(SocketRoleTest, WildcardListenersOwnTheirPortOnEveryAddressIncludingMappedOnes) {
    ListenerIndex idx;
    idx.add(sock(10, "::", 8443));
    EXPECT_EQ(idx.role_of(sock(1, "::ffff:127.0.0.1", 8443)), SocketRole::accepted);
    EXPECT_EQ(idx.role_of(sock(1, "::1", 8443)), SocketRole::accepted);
    EXPECT_EQ(idx.role_of(sock(6, "127.0.0.1", 8443)), SocketRole::accepted);
}

TEST(SocketRoleTest, ListenerOnAMappedAddressMatchesPlainIpv4) {
    ListenerIndex idx;
    idx.add(sock(10, "::ffff:10.0.0.1", 80));
    EXPECT_EQ(idx.role_of(sock(1, "10.0.0.1", 80)), SocketRole::accepted);
}

TEST(SocketRoleTest, RoleListsParse) {
    EXPECT_EQ(*parse_role_list("listener,upstream", "--role"), role_bit(SocketRole::listener) | role_bit(SocketRole::upstream));
    EXPECT_FALSE(parse_role_list(",", "--role").has_value());
}

TEST(KeepaliveObservedTest, EachTimerMapsToWhatCanBeSaid) {
    EXPECT_EQ(observe_keepalive(sock(1, "127.0.0.1", 1, DiagTimer::keepalive)), KeepaliveObserved::armed);
    EXPECT_EQ(observe_keepalive(sock(1, "127.0.0.1", 1, DiagTimer::none)), KeepaliveObserved::off);
    EXPECT_EQ(observe_keepalive(sock(1, "127.0.0.1", 1, DiagTimer::retransmit)), KeepaliveObserved::hidden);
    EXPECT_EQ(observe_keepalive(sock(1, "127.0.0.1", 1, DiagTimer::zero_window)), KeepaliveObserved::hidden);
    EXPECT_EQ(observe_keepalive(sock(10, "127.0.0.1", 1)), KeepaliveObserved::not_observable);
    EXPECT_EQ(observe_keepalive(sock(6, "127.0.0.1", 1, DiagTimer::time_wait)), KeepaliveObserved::not_applicable);
    EXPECT_EQ(observe_keepalive(sock(5, "127.0.0.1", 1, DiagTimer::time_wait)), KeepaliveObserved::not_applicable);
    EXPECT_EQ(observe_keepalive(sock(8, "127.0.0.1", 1, DiagTimer::keepalive)), KeepaliveObserved::armed);
}

}  // namespace
}  // namespace kt
