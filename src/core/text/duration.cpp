#include "core/text/duration.hpp"

#include <charconv>

#include "core/text/number_parse.hpp"

namespace kt {

std::size_t format_duration_ms_to(char* out, std::uint64_t ms) {
    char* p = out;
    auto number = [&p](std::uint64_t v) { p = std::to_chars(p, p + 20, v).ptr; };
    if (ms == 0) {
        *p++ = '0';
        *p++ = 's';
        return 2;
    }
    if (ms < 1000) {
        number(ms);
        *p++ = 'm';
        *p++ = 's';
        return static_cast<std::size_t>(p - out);
    }
    std::uint64_t s = ms / 1000;
    if (s < 60 && ms % 1000 != 0) {
        // One decimal is enough for seconds-scale timers (HZ granularity is 4 ms at best).
        number(s);
        *p++ = '.';
        number((ms % 1000) / 100);
        *p++ = 's';
        return static_cast<std::size_t>(p - out);
    }
    const std::uint64_t h = s / 3600;
    s %= 3600;
    const std::uint64_t m = s / 60;
    s %= 60;
    if (h) {
        number(h);
        *p++ = 'h';
    }
    if (m) {
        number(m);
        *p++ = 'm';
    }
    if (s || p == out) {
        number(s);
        *p++ = 's';
    }
    return static_cast<std::size_t>(p - out);
}

std::string format_duration_ms(std::uint64_t ms) {
    char buf[32];
    return std::string(buf, format_duration_ms_to(buf, ms));
}

Result<std::uint64_t> parse_duration_ms(std::string_view text) {
    constexpr std::uint64_t k_max_ms = 30ull * 24 * 3600 * 1000;
    std::size_t digits = 0;
    while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
    const std::string_view unit = text.substr(digits);
    std::uint64_t scale = 0;
    if (unit.empty() || unit == "s") scale = 1000;
    else if (unit == "ms") scale = 1;
    else if (unit == "m") scale = 60'000;
    else if (unit == "h") scale = 3'600'000;
    const std::string why = "\"" + std::string(text) + "\" is not a duration (90s, 5m, 1h, 500ms, or seconds)";
    if (digits == 0 || scale == 0) return fail("", why);
    auto n = parse_whole_number(text.substr(0, digits), 0, k_max_ms / scale);
    if (!n) return fail("", "\"" + std::string(text) + "\" is longer than 30 days");
    return *n * scale;
}

}  // namespace kt
