#include "core/socket/inspect_query.hpp"

#include <gtest/gtest.h>

#include "core/socket/ip_text.hpp"

namespace kt {
namespace {

TEST(InspectQueryTest, DefaultsToListeningAndConnectedWithoutTimeWait) {
    auto q = build_inspect_query({});
    ASSERT_TRUE(q.has_value());
    EXPECT_TRUE(q->states & state_bit(TcpState::listen));
    EXPECT_TRUE(q->states & state_bit(TcpState::established));
    EXPECT_FALSE(q->states & state_bit(TcpState::time_wait));
    EXPECT_EQ(q->family, 0);
    EXPECT_FALSE(q->needs_listener_pass());
}

TEST(InspectQueryTest, StateNamesFollowSs) {
    EXPECT_EQ(*parse_state_list("established,time-wait"), state_bit(TcpState::established) | state_bit(TcpState::time_wait));
    EXPECT_EQ(*parse_state_list("all"), k_all_states);
    EXPECT_EQ(*parse_state_list("listen"), *parse_state_list("listening"));
    EXPECT_FALSE(*parse_state_list("connected") & state_bit(TcpState::listen));
    auto bad = parse_state_list("establshed");
    ASSERT_FALSE(bad.has_value());
    EXPECT_NE(bad.error().why.find("did you mean \"established\"?"), std::string::npos);
}

TEST(InspectQueryTest, FiltersOrStatesThatMayDropListenersNeedAListenerPass) {
    InspectFlags f;
    f.states = "established";
    EXPECT_TRUE(build_inspect_query(f)->needs_listener_pass());
    f.states = "all";
    f.dports = {"443"};
    EXPECT_TRUE(build_inspect_query(f)->needs_listener_pass());
}

TEST(InspectQueryTest, SelectionsThatCanMatchNothingAreRefused) {
    InspectFlags f;
    f.idle_over = "1m";
    f.idle_under = "30s";
    auto empty = build_inspect_query(f);
    ASSERT_FALSE(empty.has_value());
    EXPECT_EQ(empty.error().what, "--idle-under 30s");
    f.idle_under = "1m";
    EXPECT_FALSE(build_inspect_query(f).has_value());
    f.idle_under = "1m1s";
    EXPECT_TRUE(build_inspect_query(f).has_value());
    InspectFlags l;
    l.idle_over = "1m";
    l.states = "listening";
    auto listening = build_inspect_query(l);
    ASSERT_FALSE(listening.has_value());
    EXPECT_EQ(listening.error().what, "--idle-over");
    l.states = "listening,established";
    EXPECT_TRUE(build_inspect_query(l).has_value());
}

TEST(InspectQueryTest, BadFlagsAreErrorsNamingTheFlag) {
    InspectFlags f;
    f.ipv4_only = f.ipv6_only = true;
    EXPECT_EQ(build_inspect_query(f).error().what, "-4 and -6");
    f = {};
    f.ipv4_only = true;
    f.peers = {"::1"};
    EXPECT_EQ(build_inspect_query(f).error().what, "--peer ::1");
    f = {};
    f.roles = "listner";
    EXPECT_EQ(build_inspect_query(f).error().line(),
              "--role listner: unknown role (did you mean \"listener\"?); roles are listener, accepted, upstream");
    f = {};
    f.keepalive = "yes";
    EXPECT_EQ(build_inspect_query(f).error().what, "--keepalive yes");
    f = {};
    f.sports = {"99999"};
    EXPECT_EQ(build_inspect_query(f).error().what, "--sport 99999");
}

TEST(InspectQueryTest, KeepaliveFilterSelectsObservedStates) {
    InspectFlags f;
    f.keepalive = "unknown";
    auto q = build_inspect_query(f);
    EXPECT_TRUE(q->keepalive_matches(KeepaliveObserved::hidden));
    EXPECT_FALSE(q->keepalive_matches(KeepaliveObserved::off));
    EXPECT_FALSE(q->keepalive_matches(KeepaliveObserved::not_observable));
}

}  // namespace
}  // namespace kt
