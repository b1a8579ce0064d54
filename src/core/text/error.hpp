// Wing core/text: errors, durations, numbers, JSON helpers, word suggestions. The first wing.
// Errors are values: every fallible function returns Result<T>, and only main prints them,
// as "keepalive-tune: error: <what>: <why>".
#pragma once

#include <expected>
#include <string>
#include <utility>
#include <vector>

namespace kt {

// What went wrong (the thing: a file and JSON path, a pid and fd, a flag) and why,
// with the fix folded into `why` where one is known.
struct Error {
    std::string what;
    std::string why;
    int code = 0;  // the errno behind it, when one is (callers may react to ESRCH, EPERM, ...)

    std::string line() const { return what.empty() ? why : what + ": " + why; }
};

template <class T>
using Result = std::expected<T, Error>;

using Errors = std::vector<Error>;

inline std::unexpected<Error> fail(std::string what, std::string why) {
    return std::unexpected(Error{std::move(what), std::move(why)});
}

}  // namespace kt
