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

// Parts in the order the tool prints them ("1h30m", "5m30s", "1.5s", "2s500ms"): each a number
// with an optional decimal fraction and a unit, units from largest to smallest, each once.
// A bare number is seconds. Everything is whole milliseconds in the end.
Result<std::uint64_t> parse_duration_ms(std::string_view text) {
    constexpr std::uint64_t k_max_ms = 30ull * 24 * 3600 * 1000;
    const std::string why = "\"" + std::string(text) + "\" is not a duration (90s, 5m30s, 1h, 1.5s, 500ms, or seconds)";
    struct Unit {
        std::string_view name;
        std::uint64_t ms;
    };
    static constexpr Unit k_units[] = {{"h", 3'600'000}, {"ms", 1}, {"m", 60'000}, {"s", 1000}};
    auto rank = [](std::uint64_t ms) { return ms == 3'600'000 ? 0 : ms == 60'000 ? 1 : ms == 1000 ? 2 : 3; };
    if (text.empty()) return fail("", why);
    std::uint64_t total = 0;
    int last_rank = -1;
    std::size_t i = 0;
    while (i < text.size()) {
        const std::size_t start = i;
        while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
        const std::string_view whole = text.substr(start, i - start);
        std::string_view fraction;
        if (i < text.size() && text[i] == '.') {
            const std::size_t f = ++i;
            while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
            fraction = text.substr(f, i - f);
            if (fraction.empty()) return fail("", why);
        }
        if (whole.empty()) return fail("", why);
        std::uint64_t scale = 0;
        if (i == text.size()) {
            if (start != 0) return fail("", why);  // "1m30": the unit of the last part is not implied
            scale = 1000;
        } else {
            for (const auto& u : k_units)
                if (text.substr(i, u.name.size()) == u.name) {
                    scale = u.ms;
                    i += u.name.size();
                    break;
                }
            if (scale == 0) return fail("", why);
        }
        if (rank(scale) <= last_rank) return fail("", why);
        last_rank = rank(scale);
        auto n = parse_whole_number(whole, 0, k_max_ms / scale);
        if (!n) return fail("", "\"" + std::string(text) + "\" is longer than 30 days");
        std::uint64_t part = *n * scale;
        // The fraction, to whole milliseconds; finer digits than a millisecond are refused.
        std::uint64_t unit_ms = scale;
        for (char c : fraction) {
            if (unit_ms % 10 != 0) return fail("", why);
            unit_ms /= 10;
            part += static_cast<std::uint64_t>(c - '0') * unit_ms;
        }
        total += part;
        if (total > k_max_ms) return fail("", "\"" + std::string(text) + "\" is longer than 30 days");
    }
    return total;
}

}  // namespace kt
