#include "core/duration.hpp"

#include <charconv>

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

}  // namespace kt
