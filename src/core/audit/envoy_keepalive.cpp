#include "core/audit/envoy_keepalive.hpp"

#include <optional>

namespace kt::envoy_fields {

namespace {
std::uint32_t clamp_u32(std::int64_t v) {
    return static_cast<std::uint32_t>(std::clamp<std::int64_t>(v, 0, UINT32_MAX));
}
}  // namespace

std::string source_text(int own_fields, const NetnsKeepalive& netns) {
    return own_fields >= 3 ? "explicit" : own_fields == 0 ? "netns, " + netns.source : "explicit + netns";
}

EffectiveKeepalive keepalive_from_socket_options(const std::vector<SocketOption>& options, const NetnsKeepalive& netns) {
    EffectiveKeepalive k;
    k.source = "off";
    std::optional<std::int64_t> on, idle, intvl, cnt, ut;
    for (const auto& o : options) {
        if (!o.level || !o.name || !o.int_value) continue;
        if (*o.level == 1 && *o.name == 9) on = o.int_value;
        if (*o.level == 6 && *o.name == 4) idle = o.int_value;
        if (*o.level == 6 && *o.name == 5) intvl = o.int_value;
        if (*o.level == 6 && *o.name == 6) cnt = o.int_value;
        if (*o.level == 6 && *o.name == 18) ut = o.int_value;
    }
    if (ut && *ut > 0) k.user_timeout_ms = static_cast<std::uint64_t>(*ut);
    if (!on || *on == 0) {
        if (idle || intvl || cnt) k.source = "TCP_KEEP* socket options without SO_KEEPALIVE (level 1, name 9)";
        return k;
    }
    k.enabled = true;
    k.idle_seconds = idle ? clamp_u32(*idle) : netns.idle_seconds;
    k.interval_seconds = intvl ? clamp_u32(*intvl) : netns.interval_seconds;
    k.count = cnt ? clamp_u32(*cnt) : netns.count;
    k.source = "socket_options, " + source_text(int{idle.has_value()} + int{intvl.has_value()} + int{cnt.has_value()}, netns);
    return k;
}

EffectiveKeepalive keepalive_from_message(const TcpKeepalive& t, const NetnsKeepalive& netns, bool zero_disables) {
    EffectiveKeepalive k;
    SourcePosition ignored;
    if (zero_disables && !zero_field(t, ignored).empty()) {
        k.source = zero_field(t, ignored) + " disables it (Envoy 1.37 and later)";
        return k;
    }
    k.enabled = true;
    k.idle_seconds = t.time ? clamp_u32(*t.time) : netns.idle_seconds;
    k.interval_seconds = t.interval ? clamp_u32(*t.interval) : netns.interval_seconds;
    k.count = t.probes ? clamp_u32(*t.probes) : netns.count;
    k.source = source_text(int{t.time.has_value()} + int{t.interval.has_value()} + int{t.probes.has_value()}, netns);
    return k;
}

}  // namespace kt::envoy_fields
