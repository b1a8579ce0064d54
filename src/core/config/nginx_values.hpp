// Values inside nginx directives: times (ngx_parse_time) and listen's so_keepalive parameter.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/text/error.hpp"

namespace kt {

// "75s", "1h30m", "500ms", "60" (seconds) to ms, as ngx_parse_time reads it; `seconds_only`
// refuses "ms" (the mode of so_keepalive's fields). Nothing for what nginx refuses.
std::optional<std::uint64_t> parse_nginx_time_ms(std::string_view text, bool seconds_only);

// so_keepalive=on|off|[idle]:[intvl]:[cnt], as ngx_http_core_module.c reads it. An empty field
// (or 0) leaves the value to the network namespace.
struct NginxSoKeepalive {
    bool enabled = false;
    std::optional<std::uint64_t> idle_seconds;
    std::optional<std::uint64_t> interval_seconds;
    std::optional<std::uint64_t> count;
};

// The value after "so_keepalive="; an error with nginx's own words for what `nginx -t` refuses.
Result<NginxSoKeepalive> parse_nginx_so_keepalive(std::string_view value);

}  // namespace kt
