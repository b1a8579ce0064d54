// Numbers as people read them in reports: fixed decimals, no locale, no exponent.
#pragma once

#include <cstdio>
#include <string>

namespace kt {

// 12.345 with 1 decimal -> "12.3".
inline std::string fixed_text(double v, int decimals) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
    return buf;
}

}  // namespace kt
