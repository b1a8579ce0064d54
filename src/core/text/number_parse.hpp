// Numbers typed by people (flags) or written in files: plain decimal only. No sign, hex,
// exponent, spaces, NaN or infinity, so that what was typed is what gets used and echoed.
#pragma once

#include <cstdint>
#include <string_view>

#include "core/text/error.hpp"

namespace kt {

// A whole number in lo..hi. The error's `what` is empty; `why` quotes the text and the range
// ("-5 is not a whole number in 1..4194304"), so callers put the flag or file in front.
Result<std::uint64_t> parse_whole_number(std::string_view text, std::uint64_t lo, std::uint64_t hi);

// A decimal number in lo..hi: digits with an optional fraction ("62.5"), nothing else.
Result<double> parse_decimal(std::string_view text, double lo, double hi);

}  // namespace kt
