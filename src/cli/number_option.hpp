// Numeric flags checked by the product's own number parser (core/number_parse.hpp) before
// CLI11 converts them: CLI11 alone takes hex, exponents, NaN and signs, and words its own
// errors. The validators have no description, so --help shows only the option's type name.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>

namespace kt::cli {

// The largest pid Linux hands out (PID_MAX_LIMIT on 64-bit).
inline constexpr std::uint64_t k_max_pid = 4194304;

// --top of timewait and check: groups listed or labelled; Prometheus cardinality stays bounded.
inline constexpr std::uint64_t k_max_top = 1000;

CLI::Validator whole_number(std::uint64_t lo, std::uint64_t hi);

// A process id option (--pid, --netns-of): 1..k_max_pid, shown as PID in --help.
inline CLI::Option* as_pid(CLI::Option* option) {
    return option->check(whole_number(1, k_max_pid))->type_name("PID");
}

}  // namespace kt::cli
