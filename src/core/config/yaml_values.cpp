#include "core/config/yaml_values.hpp"

#include <cctype>

#include "core/text/duration.hpp"

namespace kt {

namespace {

constexpr std::uint64_t k_ns_max = 100ULL * 365 * 86400 * 1000000000ULL;  // 100 years: far above any timeout

std::string lower(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

// "1.5" with a unit worth `unit_ns`, added to `total`; false on overflow or bad text.
bool add_decimal(std::string_view whole, std::string_view fraction, std::uint64_t unit_ns, std::uint64_t& total) {
    std::uint64_t w = 0;
    for (char c : whole) {
        w = w * 10 + static_cast<std::uint64_t>(c - '0');
        if (w > k_ns_max) return false;
    }
    if (unit_ns != 0 && w > k_ns_max / unit_ns) return false;
    std::uint64_t ns = w * unit_ns;
    std::uint64_t scale = unit_ns;
    for (char c : fraction) {
        scale /= 10;
        if (scale == 0) break;  // below a nanosecond
        ns += static_cast<std::uint64_t>(c - '0') * scale;
    }
    if (ns > k_ns_max - total) return false;
    total += ns;
    return true;
}

Result<std::uint64_t> duration_text_ns(const std::string& text, const SourcePosition& at) {
    auto bad = [&](std::string why) { return fail(at.file_line_column(), "\"" + text + "\" " + why); };
    if (text.empty()) return bad("is not a duration");
    std::size_t i = 0;
    std::uint64_t total = 0;
    bool any = false;
    while (i < text.size()) {
        const auto start = i;
        while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
        const auto whole = std::string_view(text).substr(start, i - start);
        std::string_view fraction;
        if (i < text.size() && text[i] == '.') {
            const auto f = ++i;
            while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
            fraction = std::string_view(text).substr(f, i - f);
        }
        if (whole.empty() && fraction.empty()) return bad("is not a duration (a number and a unit: 60s, 500ms, 1h)");
        const auto u = i;
        while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i]))) ++i;
        const auto unit = std::string_view(text).substr(u, i - u);
        std::uint64_t unit_ns = 0;
        if (unit.empty() && !any && i == text.size()) unit_ns = 1000000000ULL;  // a bare number: seconds
        else if (unit == "ns") unit_ns = 1;
        else if (unit == "us") unit_ns = 1000;
        else if (unit == "ms") unit_ns = 1000000;
        else if (unit == "s") unit_ns = 1000000000ULL;
        else if (unit == "m") unit_ns = 60000000000ULL;
        else if (unit == "h") unit_ns = 3600000000000ULL;
        else return bad("has an unknown unit (use ns, us, ms, s, m or h)");
        if (!add_decimal(whole, fraction, unit_ns, total)) return bad("is too long a duration");
        any = true;
    }
    return total;
}

}  // namespace

std::optional<std::int64_t> yaml_integer(const YamlNode& n) {
    if (!n.is_scalar() || n.scalar.empty() || n.scalar.size() > 19) return std::nullopt;
    std::size_t i = n.scalar[0] == '-' || n.scalar[0] == '+' ? 1 : 0;
    if (i == n.scalar.size()) return std::nullopt;
    std::int64_t v = 0;
    for (; i < n.scalar.size(); ++i) {
        const char c = n.scalar[i];
        if (c < '0' || c > '9') return std::nullopt;
        v = v * 10 + (c - '0');  // 18 digits at most: no overflow
    }
    return n.scalar[0] == '-' ? -v : v;
}

std::optional<bool> yaml_bool(const YamlNode& n) {
    if (!n.is_scalar()) return std::nullopt;
    const auto s = lower(n.scalar);
    if (s == "true" || s == "yes" || s == "on" || s == "y") return true;
    if (s == "false" || s == "no" || s == "off" || s == "n") return false;
    return std::nullopt;
}

Result<std::uint64_t> yaml_duration_ns(const YamlNode& n) {
    if (n.is_mapping()) {
        std::uint64_t total = 0;
        if (const auto* s = n.get("seconds")) {
            const auto v = yaml_integer(*s);
            if (!v || *v < 0 || static_cast<std::uint64_t>(*v) > k_ns_max / 1000000000ULL)
                return fail(s->at.file_line_column(), "seconds \"" + s->scalar + "\" is not a whole number of seconds");
            total = static_cast<std::uint64_t>(*v) * 1000000000ULL;
        }
        if (const auto* ns = n.get("nanos")) {
            const auto v = yaml_integer(*ns);
            if (!v || *v < 0 || *v > 999999999)
                return fail(ns->at.file_line_column(), "nanos \"" + ns->scalar + "\" is not 0-999999999");
            total += static_cast<std::uint64_t>(*v);
        }
        return total;
    }
    if (!n.is_scalar()) return fail(n.at.file_line_column(), "a duration must be a string such as \"60s\"");
    return duration_text_ns(n.scalar, n.at);
}

std::string format_duration_ns(std::uint64_t ns) {
    if (ns > 0 && ns < 1000000) return std::to_string(ns) + "ns";
    return format_duration_ms(ns / 1000000);
}

}  // namespace kt
