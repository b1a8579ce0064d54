#include "core/change/apply_plan.hpp"

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
std::vector<OptionWrite> ordered_writes(const SocketOptions& current, const SocketOptions& target, bool listener) {
    std::vector<OptionWrite> seq;
    const bool idle_changes = current.idle_seconds != target.idle_seconds;
    // Only a connected socket with keepalive on has a timer that a new idle would re-arm early.
    const bool toggle = !listener && current.keepalive && idle_changes;
    if (toggle) seq.push_back({SocketOption::keepalive, 0});
    if (idle_changes) seq.push_back({SocketOption::idle, target.idle_seconds});
    if (current.interval_seconds != target.interval_seconds) seq.push_back({SocketOption::interval, target.interval_seconds});
    if (current.count != target.count) seq.push_back({SocketOption::count, target.count});
    if (current.user_timeout_ms != target.user_timeout_ms)
        seq.push_back({SocketOption::user_timeout, target.user_timeout_ms});
    if (toggle || current.keepalive != target.keepalive) seq.push_back({SocketOption::keepalive, target.keepalive ? 1u : 0u});
    return seq;
}
}  // namespace

std::vector<OptionWrite> apply_sequence(const SocketOptions& before, const Profile& p, bool listener) {
    return ordered_writes(before, profile_options(p, before), listener);
}

std::vector<OptionWrite> rollback_sequence(const SocketOptions& before, const std::vector<OptionWrite>& sequence,
                                           std::size_t done) {
    bool touched[5] = {};
    for (std::size_t i = 0; i < done && i < sequence.size(); ++i) touched[static_cast<int>(sequence[i].option)] = true;
    std::vector<OptionWrite> seq;
    if (touched[static_cast<int>(SocketOption::idle)]) seq.push_back({SocketOption::idle, before.idle_seconds});
    if (touched[static_cast<int>(SocketOption::interval)]) seq.push_back({SocketOption::interval, before.interval_seconds});
    if (touched[static_cast<int>(SocketOption::count)]) seq.push_back({SocketOption::count, before.count});
    if (touched[static_cast<int>(SocketOption::user_timeout)])
        seq.push_back({SocketOption::user_timeout, before.user_timeout_ms});
    if (touched[static_cast<int>(SocketOption::keepalive)])
        seq.push_back({SocketOption::keepalive, before.keepalive ? 1u : 0u});
    return seq;
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
