#include "core/change/apply_plan.hpp"

#include <gtest/gtest.h>

#include "bpf/kt_bpf_shared.h"
#include "core/change/option_io.hpp"

namespace kt {
namespace {

Profile profile(std::optional<std::uint32_t> uto = 10000) {
    Profile p;
    p.name = "t";
    p.keepalive = {true, 60, 20, 2};
    p.user_timeout_ms = uto;
    return p;
}

constexpr SocketOptions k_kernel_default{false, 7200, 75, 9, 0};
using S = SocketOption;

TEST(ApplyPlanTest, KeepaliveOffGetsValuesFirstAndKeepaliveLast) {
    EXPECT_EQ(apply_sequence(k_kernel_default, profile(), false),
              (std::vector<OptionWrite>{{S::idle, 60}, {S::interval, 20}, {S::count, 2}, {S::user_timeout, 10000}, {S::keepalive, 1}}));
}

TEST(ApplyPlanTest, KeepaliveAlreadyOnIsTurnedOffWhileIdleChangesSoNoProbeFiresAtOnce) {
    SocketOptions on = k_kernel_default;
    on.keepalive = true;
    EXPECT_EQ(apply_sequence(on, profile(), false),
              (std::vector<OptionWrite>{{S::keepalive, 0}, {S::idle, 60}, {S::interval, 20}, {S::count, 2},
                                        {S::user_timeout, 10000}, {S::keepalive, 1}}));
}

// The rule itself, as the BPF plan pass runs it: there the pass knows under the socket's lock
// whether the connection has been idle as long as the new idle, and toggles only then (a
// re-armed timer still in the future fires no probe). User space cannot know, and always does.
TEST(ApplyPlanTest, TheKernelsPlanTogglesKeepaliveOnlyWhereTheTimerWouldFallDue) {
    const kt_keepalive_values on{1, 7200, 75, 9, 0}, want{1, 60, 20, 2, 10000};
    kt_write out[KT_MAX_WRITES] = {};
    ASSERT_EQ(kt_burst_free_writes(&on, &want, 0, 1, out), 6u);
    EXPECT_EQ(out[0].option, 0u);
    EXPECT_EQ(out[0].value, 0u);
    EXPECT_EQ(out[5].option, 0u);
    EXPECT_EQ(out[5].value, 1u);
    ASSERT_EQ(kt_burst_free_writes(&on, &want, 0, 0, out), 4u);
    const kt_u32 options[] = {1, 2, 3, 4}, values[] = {60, 20, 2, 10000};
    for (int i = 0; i < 4; ++i) {
        EXPECT_EQ(out[i].option, options[i]) << i;
        EXPECT_EQ(out[i].value, values[i]) << i;
    }
    // Keepalive off: nothing to re-arm, turned on last either way.
    const kt_keepalive_values off{0, 7200, 75, 9, 0};
    ASSERT_EQ(kt_burst_free_writes(&off, &want, 0, 0, out), 5u);
    EXPECT_EQ(out[4].option, 0u);
    EXPECT_EQ(out[4].value, 1u);
}

TEST(ApplyPlanTest, TheKernelsRollbackPutsBackOnlyWhatWasWrittenKeepaliveLast) {
    const kt_keepalive_values before{1, 7200, 75, 9, 500}, want{1, 60, 20, 2, 10000};
    kt_write writes[KT_MAX_WRITES] = {}, back[KT_MAX_WRITES] = {};
    ASSERT_EQ(kt_burst_free_writes(&before, &want, 0, 1, writes), 6u);
    // SO_KEEPALIVE off and TCP_KEEPIDLE went through, TCP_KEEPINTVL failed.
    ASSERT_EQ(kt_rollback_writes(&before, writes, 2, back), 2u);
    EXPECT_EQ(back[0].option, 1u);
    EXPECT_EQ(back[0].value, 7200u);
    EXPECT_EQ(back[1].option, 0u);
    EXPECT_EQ(back[1].value, 1u);
    EXPECT_EQ(kt_rollback_writes(&before, writes, 0, back), 0u);
}

TEST(ApplyPlanTest, ListenersHaveNoTimerAndNeedNoToggle) {
    SocketOptions on = k_kernel_default;
    on.keepalive = true;
    EXPECT_EQ(apply_sequence(on, profile(), true).front(), (OptionWrite{S::idle, 60}));
}

TEST(ApplyPlanTest, OnlyWhatDiffersIsWritten) {
    SocketOptions almost{true, 60, 20, 9, 10000};
    EXPECT_EQ(apply_sequence(almost, profile(), false), (std::vector<OptionWrite>{{S::count, 2}}));
}

TEST(ApplyPlanTest, ACompliantSocketNeedsNothing) {
    const SocketOptions done{true, 60, 20, 2, 10000};
    EXPECT_TRUE(apply_sequence(done, profile(), false).empty());
    const auto item = plan_socket({}, done, profile());
    EXPECT_EQ(item.action, PlanAction::compliant);
    EXPECT_EQ(item.drift, 0);
    EXPECT_TRUE(drift_texts(item).empty());
}

TEST(ApplyPlanTest, ProfileWithoutUserTimeoutLeavesTheSocketsOwn) {
    SocketOptions own{true, 60, 20, 2, 5000};
    EXPECT_TRUE(apply_sequence(own, profile(std::nullopt), false).empty());
    EXPECT_EQ(profile_options(profile(std::nullopt), own).user_timeout_ms, 5000u);
}

TEST(ApplyPlanTest, DriftIsDescribedValueByValue) {
    const auto item = plan_socket({}, k_kernel_default, profile());
    EXPECT_EQ(item.action, PlanAction::change);
    EXPECT_EQ(drift_texts(item), (std::vector<std::string>{"keepalive off -> on", "idle_seconds 7200 -> 60",
                                                   "interval_seconds 75 -> 20", "count 9 -> 2",
                                                   "user_timeout_ms 0 -> 10000"}));
}

// A writer that records every call and fails the Nth, as setsockopt might (EPERM, EINVAL).
class RecordingWriter : public OptionWriter {
public:
    explicit RecordingWriter(int fail_at = -1, int rollback_fail_at = -1) : m_fail_at(fail_at), m_rollback_fail_at(rollback_fail_at) {}
    Result<void> write(const OptionWrite& w) override {
        const int n = static_cast<int>(calls.size());
        calls.push_back(w);
        if (n == m_fail_at || n == m_rollback_fail_at) return fail(socket_option_name(w.option), "Invalid argument");
        return {};
    }
    std::vector<OptionWrite> calls;

private:
    int m_fail_at, m_rollback_fail_at;
};

TEST(OptionIoTest, AllWritesSucceedingChangesTheSocket) {
    RecordingWriter w;
    const auto seq = apply_sequence(k_kernel_default, profile(), false);
    const auto change = change_socket(w, seq, k_kernel_default);
    EXPECT_TRUE(change.ok());
    EXPECT_EQ(w.calls, seq);
}

TEST(OptionIoTest, AFailedWriteRollsBackWhatWasWritten) {
    SocketOptions on{true, 7200, 75, 9, 0};
    RecordingWriter w(3);  // toggle off, idle, interval succeed; count fails
    const auto seq = apply_sequence(on, profile(), false);
    const auto change = change_socket(w, seq, on);
    EXPECT_FALSE(change.ok());
    EXPECT_EQ(change.error->what, "TCP_KEEPCNT");
    EXPECT_TRUE(change.rolled_back);
    const std::vector<OptionWrite> rollback(w.calls.begin() + 4, w.calls.end());
    EXPECT_EQ(rollback, (std::vector<OptionWrite>{{S::idle, 7200}, {S::interval, 75}, {S::keepalive, 1}}));
}

TEST(OptionIoTest, AFailedRollbackIsReported) {
    RecordingWriter w(1, 2);
    const auto change = change_socket(w, apply_sequence(k_kernel_default, profile(), false), k_kernel_default);
    EXPECT_FALSE(change.ok());
    EXPECT_FALSE(change.rolled_back);
    ASSERT_TRUE(change.rollback_error.has_value());
}

}  // namespace
}  // namespace kt
