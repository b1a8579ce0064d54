#include "core/config/nginx_values.hpp"

#include <limits>

namespace kt {

std::optional<std::uint64_t> parse_nginx_time_ms(std::string_view text, bool seconds_only) {
    if (text.empty()) return std::nullopt;
    constexpr std::uint64_t k_limit = std::numeric_limits<std::uint32_t>::max() * std::uint64_t{1000};
    std::uint64_t total = 0;
    std::size_t i = 0;
    while (i < text.size()) {
        std::uint64_t value = 0;
        const auto start = i;
        while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
            value = value * 10 + static_cast<std::uint64_t>(text[i] - '0');
            if (value > k_limit) return std::nullopt;
            ++i;
        }
        if (i == start) return std::nullopt;
        std::uint64_t unit_ms = 1000;  // a number without a unit is seconds, and must be last
        if (i < text.size()) {
            const char u = text[i++];
            if (u == 'm' && i < text.size() && text[i] == 's') {
                if (seconds_only) return std::nullopt;
                unit_ms = 1;
                ++i;
            } else if (u == 'y') {
                unit_ms = 365ULL * 86400 * 1000;
            } else if (u == 'M') {
                unit_ms = 30ULL * 86400 * 1000;
            } else if (u == 'w') {
                unit_ms = 7ULL * 86400 * 1000;
            } else if (u == 'd') {
                unit_ms = 86400ULL * 1000;
            } else if (u == 'h') {
                unit_ms = 3600ULL * 1000;
            } else if (u == 'm') {
                unit_ms = 60ULL * 1000;
            } else if (u == 's') {
                unit_ms = 1000;
            } else {
                return std::nullopt;
            }
        }
        if (value > k_limit / unit_ms) return std::nullopt;
        total += value * unit_ms;
        if (total > k_limit) return std::nullopt;
    }
    return total;
}

namespace {
Result<std::optional<std::uint64_t>> field(std::string_view text, bool is_time, std::string_view whole) {
    if (text.empty()) return std::optional<std::uint64_t>{};
    if (is_time) {
        auto ms = parse_nginx_time_ms(text, true);
        if (!ms) return fail("so_keepalive", "invalid so_keepalive value: \"" + std::string(whole) + "\"");
        return std::optional<std::uint64_t>{*ms / 1000};
    }
    std::uint64_t v = 0;
    for (char c : text) {
        if (c < '0' || c > '9' || v > std::numeric_limits<std::uint32_t>::max())
            return fail("so_keepalive", "invalid so_keepalive value: \"" + std::string(whole) + "\"");
        v = v * 10 + static_cast<std::uint64_t>(c - '0');
    }
    return std::optional<std::uint64_t>{v};
}
}  // namespace

Result<NginxSoKeepalive> parse_nginx_so_keepalive(std::string_view value) {
    NginxSoKeepalive k;
    if (value == "on") {
        k.enabled = true;
        return k;
    }
    if (value == "off") return k;
    const auto c1 = value.find(':');
    const auto c2 = c1 == std::string_view::npos ? std::string_view::npos : value.find(':', c1 + 1);
    if (c2 == std::string_view::npos || value.find(':', c2 + 1) != std::string_view::npos)
        return fail("so_keepalive", "invalid so_keepalive value: \"" + std::string(value) + "\"");
    auto idle = field(value.substr(0, c1), true, value);
    auto intvl = field(value.substr(c1 + 1, c2 - c1 - 1), true, value);
    auto cnt = field(value.substr(c2 + 1), false, value);
    if (!idle) return std::unexpected(idle.error());
    if (!intvl) return std::unexpected(intvl.error());
    if (!cnt) return std::unexpected(cnt.error());
    auto nonzero = [](std::optional<std::uint64_t> v) { return v && *v > 0 ? v : std::nullopt; };
    k.idle_seconds = nonzero(*idle);
    k.interval_seconds = nonzero(*intvl);
    k.count = nonzero(*cnt);
    if (!k.idle_seconds && !k.interval_seconds && !k.count)
        return fail("so_keepalive", "invalid so_keepalive value: \"" + std::string(value) + "\"");
    k.enabled = true;
    return k;
}

}  // namespace kt
