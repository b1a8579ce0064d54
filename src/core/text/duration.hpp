// Durations for people: "2h11m15s", "5s", "10.2s", "350ms".
#pragma once

#include <cstdint>
#include <cstddef>
#include <string>
#include <string_view>

#include "core/text/error.hpp"

namespace kt {

std::string format_duration_ms(std::uint64_t ms);
// The same into `out` (at least 24 bytes), without allocating; returns the length.
std::size_t format_duration_ms_to(char* out, std::uint64_t ms);
inline std::string format_duration_s(std::uint64_t s) { return format_duration_ms(s * 1000); }

// "90s", "5m", "1h", "500ms", compounds as format_duration_ms writes them ("1h30m", "5m30s"),
// decimals ("1.5s", "0.25h"), or a plain number of seconds ("350"), to ms, up to 30 days. The error's `what` is empty; `why` quotes the text.
Result<std::uint64_t> parse_duration_ms(std::string_view text);

}  // namespace kt
