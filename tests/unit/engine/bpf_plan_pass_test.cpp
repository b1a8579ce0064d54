#include "engine/bpf_plan_pass.hpp"

#include <gtest/gtest.h>

#include "core/socket/ip_text.hpp"

namespace kt::engine {
namespace {

Profile profile() {
    Profile p;
    p.name = "t";
    p.keepalive = {true, 60, 20, 2};
    return p;
}

const SocketOptions k_before{true, 7200, 75, 9, 0};

// A report planned in user space from `before`, and the kernel's record of the same socket.
render::SocketReport planned(const SocketOptions& before = k_before) {
    render::SocketReport r;
    r.item = plan_socket({}, before, profile());
    return r;
}

PlannedSocket record(PassOutcome outcome) {
    PlannedSocket k;
    k.outcome = outcome;
    return k;
}

TEST(BpfPlanPassTest, AChangeIsCheckedAgainstWhatTheKernelReadAfterTheWrites) {
    auto r = planned();
    judge_plan_pass(r, record(PassOutcome::changed), profile_options(profile(), k_before));
    EXPECT_EQ(r.outcome, render::SocketOutcome::changed);
    EXPECT_FALSE(r.error);

    auto other = planned();
    judge_plan_pass(other, record(PassOutcome::changed), k_before);
    EXPECT_EQ(other.outcome, render::SocketOutcome::failed);
    ASSERT_TRUE(other.error);
    EXPECT_EQ(other.error->what, "verification");
}

TEST(BpfPlanPassTest, AFailedWriteNamesTheOptionAndWhetherItWasPutBack) {
    auto k = record(PassOutcome::failed);
    k.failed_option = static_cast<std::uint8_t>(SocketOption::interval);
    k.write_errno = 22;
    auto r = planned();
    judge_plan_pass(r, k, k_before);
    EXPECT_EQ(r.outcome, render::SocketOutcome::rolled_back);
    ASSERT_TRUE(r.error);
    EXPECT_EQ(r.error->what, "bpf_setsockopt TCP_KEEPINTVL");
    EXPECT_EQ(r.error->code, 22);

    k.outcome = PassOutcome::put_back_failed;
    auto worse = planned();
    judge_plan_pass(worse, k, k_before);
    EXPECT_EQ(worse.outcome, render::SocketOutcome::failed);
    EXPECT_NE(worse.error->why.find("putting it back failed too"), std::string::npos) << worse.error->why;
}

TEST(BpfPlanPassTest, TheKernelsVerdictMustBeThePlans) {
    const SocketOptions done = profile_options(profile(), k_before);
    auto r = planned(done);
    judge_plan_pass(r, record(PassOutcome::compliant), done);
    EXPECT_EQ(r.outcome, render::SocketOutcome::compliant);

    auto check = planned();
    judge_plan_pass(check, record(PassOutcome::drift), k_before);
    EXPECT_EQ(check.outcome, render::SocketOutcome::planned);

    // The kernel saw nothing to do where the plan saw drift, and the other way round.
    auto missed = planned();
    judge_plan_pass(missed, record(PassOutcome::compliant), k_before);
    EXPECT_EQ(missed.outcome, render::SocketOutcome::failed);
    auto extra = planned(done);
    judge_plan_pass(extra, record(PassOutcome::changed), done);
    EXPECT_EQ(extra.outcome, render::SocketOutcome::failed);
    EXPECT_EQ(extra.error->what, "BPF plan pass");
}

Endpoint endpoint(const char* ip, std::uint16_t port) {
    Endpoint e;
    e.address = parse_ip_address(ip).value();
    e.port = port;
    return e;
}

PassSocket socket_on(std::uint64_t cookie, std::uint32_t inode, const Endpoint& local) {
    PassSocket s;
    s.cookie = cookie;
    s.inode = inode;
    s.local = local;
    s.state = 1;
    return s;
}

TEST(BpfPlanPassTest, QueuedConnectionsAreTheTargetedListenersOnceEach) {
    sys::FoundSocket l;
    l.ref.pid = 42;
    l.ref.inode = 7;
    l.ref.local = endpoint("0.0.0.0", 8080);
    const std::vector<PassSocket> listeners = {socket_on(1, 7, l.ref.local)};
    const std::vector<PassSocket> queued = {socket_on(10, 0, endpoint("127.0.0.1", 8080)),
                                            socket_on(11, 0, endpoint("127.0.0.1", 9090))};
    std::set<std::uint64_t> taken;
    std::vector<std::string> notes;
    const auto first = queued_connections(l, {7}, listeners, queued, taken, notes);
    ASSERT_EQ(first.size(), 1u);
    EXPECT_EQ(first[0].first.ref.pid, 42);
    EXPECT_EQ(first[0].first.ref.fd, -1);
    EXPECT_EQ(first[0].first.ref.role, SocketRole::accepted);
    EXPECT_EQ(first[0].second->cookie, 10u);
    EXPECT_TRUE(queued_connections(l, {7}, listeners, queued, taken, notes).empty());
    EXPECT_TRUE(notes.empty());
}

TEST(BpfPlanPassTest, APortSharedWithAListenerNotTargetedLeavesItsQueueAlone) {
    sys::FoundSocket l;
    l.ref.inode = 7;
    l.ref.local = endpoint("127.0.0.1", 8080);
    const std::vector<PassSocket> listeners = {socket_on(1, 7, l.ref.local), socket_on(2, 8, endpoint("0.0.0.0", 8080))};
    const std::vector<PassSocket> queued = {socket_on(10, 0, endpoint("127.0.0.1", 8080))};
    std::set<std::uint64_t> taken;
    std::vector<std::string> notes;
    EXPECT_TRUE(queued_connections(l, {7}, listeners, queued, taken, notes).empty());
    ASSERT_EQ(notes.size(), 1u);
    EXPECT_NE(notes[0].find("SO_REUSEPORT"), std::string::npos);
    // Both listeners targeted: the queue is theirs.
    notes.clear();
    EXPECT_EQ(queued_connections(l, {7, 8}, listeners, queued, taken, notes).size(), 1u);
}

}  // namespace
}  // namespace kt::engine
