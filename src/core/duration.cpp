#include "core/duration.hpp"

namespace kt {

std::string format_duration_ms(std::uint64_t ms) {
    if (ms == 0) return "0s";
    if (ms < 1000) return std::to_string(ms) + "ms";
    std::uint64_t s = ms / 1000;
    const std::uint64_t rest_ms = ms % 1000;
    if (s < 60 && rest_ms != 0) {
        // One decimal is enough for seconds-scale timers (HZ granularity is 4 ms at best).
        std::string out = std::to_string(s) + "." + std::to_string(rest_ms / 100);
        return out + "s";
    }
    const std::uint64_t h = s / 3600;
    s %= 3600;
    const std::uint64_t m = s / 60;
    s %= 60;
    std::string out;
    if (h) out += std::to_string(h) + "h";
    if (m) out += std::to_string(m) + "m";
    if (s || out.empty()) out += std::to_string(s) + "s";
    return out;
}

}  // namespace kt
