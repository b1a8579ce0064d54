// Durations for people: "2h11m15s", "5s", "10.2s", "350ms".
#pragma once

#include <cstdint>
#include <string>

namespace kt {

std::string format_duration_ms(std::uint64_t ms);
inline std::string format_duration_s(std::uint64_t s) { return format_duration_ms(s * 1000); }

}  // namespace kt
