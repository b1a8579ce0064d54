// Durations for people: "2h11m15s", "5s", "10.2s", "350ms".
#pragma once

#include <cstdint>
#include <cstddef>
#include <string>

namespace kt {

std::string format_duration_ms(std::uint64_t ms);
// The same into `out` (at least 24 bytes), without allocating; returns the length.
std::size_t format_duration_ms_to(char* out, std::uint64_t ms);
inline std::string format_duration_s(std::uint64_t s) { return format_duration_ms(s * 1000); }

}  // namespace kt
