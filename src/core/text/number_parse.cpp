#include "core/text/number_parse.hpp"

#include <charconv>
#include <string>

#include "core/text/number_text.hpp"

namespace kt {

namespace {
bool all_digits(std::string_view s) {
    if (s.empty()) return false;
    for (const char c : s)
        if (c < '0' || c > '9') return false;
    return true;
}

// Long garbage is cut in messages; the user typed it and only needs to recognise it.
std::string quoted(std::string_view text) {
    if (text.empty()) return "an empty value";
    return text.size() > 40 ? std::string(text.substr(0, 40)) + "..." : std::string(text);
}
}  // namespace

Result<std::uint64_t> parse_whole_number(std::string_view text, std::uint64_t lo, std::uint64_t hi) {
    const std::string range = std::to_string(lo) + ".." + std::to_string(hi);
    if (!all_digits(text)) return fail("", quoted(text) + " is not a whole number in " + range);
    std::uint64_t v = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || end != text.data() + text.size() || v < lo || v > hi)
        return fail("", quoted(text) + " is out of range " + range);
    return v;
}

Result<double> parse_decimal(std::string_view text, double lo, double hi) {
    const std::string range = fixed_text(lo, 0) + ".." + fixed_text(hi, 0);
    const auto dot = text.find('.');
    const bool shaped = dot == std::string_view::npos
                            ? all_digits(text)
                            : all_digits(text.substr(0, dot)) && all_digits(text.substr(dot + 1));
    if (!shaped) return fail("", quoted(text) + " is not a number in " + range + " (digits, optionally with a fraction)");
    double v = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v, std::chars_format::fixed);
    if (ec != std::errc() || end != text.data() + text.size() || v < lo || v > hi)
        return fail("", quoted(text) + " is out of range " + range);
    return v;
}

}  // namespace kt
