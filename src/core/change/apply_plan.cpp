#include "core/change/apply_plan.hpp"

#include <algorithm>

#include "bpf/kt_bpf_shared.h"
#include "core/socket/tcp_state.hpp"

namespace kt {

const char* socket_option_name(SocketOption o) {
    switch (o) {
        case SocketOption::keepalive: return "SO_KEEPALIVE";
        case SocketOption::idle: return "TCP_KEEPIDLE";
        case SocketOption::interval: return "TCP_KEEPINTVL";
        case SocketOption::count: return "TCP_KEEPCNT";
        case SocketOption::user_timeout: return "TCP_USER_TIMEOUT";
    }
    return "?";
}

SocketOptions profile_options(const Profile& p, const SocketOptions& before) {
    SocketOptions o;
    o.keepalive = p.keepalive.enabled;
    o.idle_seconds = p.keepalive.idle_seconds;
    o.interval_seconds = p.keepalive.interval_seconds;
    o.count = p.keepalive.count;
    // A profile without user_timeout_ms leaves the socket's own value.
    o.user_timeout_ms = p.user_timeout_ms ? *p.user_timeout_ms : before.user_timeout_ms;
    return o;
}

std::uint8_t drift_between(const SocketOptions& have, const SocketOptions& want) {
    return static_cast<std::uint8_t>((have.keepalive != want.keepalive ? k_drift_keepalive : 0) |
                                     (have.idle_seconds != want.idle_seconds ? k_drift_idle : 0) |
                                     (have.interval_seconds != want.interval_seconds ? k_drift_interval : 0) |
                                     (have.count != want.count ? k_drift_count : 0) |
                                     (have.user_timeout_ms != want.user_timeout_ms ? k_drift_user_timeout : 0));
}

namespace {
// Calls `out(text)` with "idle_seconds 7200 -> 60" for each option in `drift`, in one order.
template <typename Out>
void each_drift(std::uint8_t drift, const SocketOptions& have, const SocketOptions& want, Out out) {
    std::string text;
    auto differ = [&](std::uint8_t bit, const char* name, std::uint32_t a, std::uint32_t b) {
        if (!(drift & bit)) return;
        text.assign(name).append(" ").append(std::to_string(a)).append(" -> ").append(std::to_string(b));
        out(text);
    };
    if (drift & k_drift_keepalive) {
        text.assign("keepalive ").append(have.keepalive ? "on" : "off").append(" -> ").append(want.keepalive ? "on" : "off");
        out(text);
    }
    differ(k_drift_idle, "idle_seconds", have.idle_seconds, want.idle_seconds);
    differ(k_drift_interval, "interval_seconds", have.interval_seconds, want.interval_seconds);
    differ(k_drift_count, "count", have.count, want.count);
    differ(k_drift_user_timeout, "user_timeout_ms", have.user_timeout_ms, want.user_timeout_ms);
}
}  // namespace

std::vector<std::string> drift_texts(const PlanItem& item) {
    std::vector<std::string> out;
    each_drift(item.drift, item.before, item.after, [&](const std::string& t) { out.push_back(t); });
    return out;
}

void append_drift_text(std::string& to, const PlanItem& item) {
    each_drift(item.drift, item.before, item.after, [&](const std::string& t) {
        if (!to.empty()) to += ", ";
        to += t;
    });
}

namespace {
kt_keepalive_values values_of(const SocketOptions& o) {
    return {o.keepalive ? 1u : 0u, o.idle_seconds, o.interval_seconds, o.count, o.user_timeout_ms};
}

std::vector<OptionWrite> writes_of(const kt_write* writes, kt_u32 count) {
    std::vector<OptionWrite> seq;
    seq.reserve(count);
    for (kt_u32 i = 0; i < count; ++i) seq.push_back({static_cast<SocketOption>(writes[i].option), writes[i].value});
    return seq;
}

// kt_burst_free_writes: one rule with the BPF plan pass. How long the connection will have
// been idle when the writes run cannot be told here, so a timer that may fall due is assumed.
std::vector<OptionWrite> ordered_writes(const SocketOptions& current, const SocketOptions& target, bool listener) {
    const kt_keepalive_values have = values_of(current), want = values_of(target);
    kt_write out[KT_MAX_WRITES];
    return writes_of(out, kt_burst_free_writes(&have, &want, listener ? 1 : 0, 1, out));
}
}  // namespace

std::vector<OptionWrite> apply_sequence(const SocketOptions& before, const Profile& p, bool listener) {
    return ordered_writes(before, profile_options(p, before), listener);
}

std::vector<OptionWrite> rollback_sequence(const SocketOptions& before, const std::vector<OptionWrite>& sequence,
                                           std::size_t done) {
    kt_write written[KT_MAX_WRITES] = {};
    const std::size_t n = std::min<std::size_t>(std::min(done, sequence.size()), KT_MAX_WRITES);
    for (std::size_t i = 0; i < n; ++i) written[i] = {static_cast<kt_u32>(sequence[i].option), sequence[i].value};
    const kt_keepalive_values was = values_of(before);
    kt_write out[KT_MAX_WRITES];
    return writes_of(out, kt_rollback_writes(&was, written, static_cast<kt_u32>(n), out));
}

std::vector<OptionWrite> write_sequence(const SocketOptions& current, const SocketOptions& target, bool listener) {
    return ordered_writes(current, target, listener);
}

PlanItem plan_socket(const SocketRef& s, const SocketOptions& before, const Profile& p) {
    PlanItem item;
    item.socket = s;
    item.before = before;
    item.after = profile_options(p, before);
    item.drift = drift_between(before, item.after);
    item.action = item.drift == 0 ? PlanAction::compliant : PlanAction::change;
    return item;
}

}  // namespace kt
