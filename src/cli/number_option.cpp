#include "cli/number_option.hpp"

#include "core/text/number_parse.hpp"

namespace kt::cli {

CLI::Validator whole_number(std::uint64_t lo, std::uint64_t hi) {
    return CLI::Validator(
        [lo, hi](std::string& text) -> std::string {
            auto v = parse_whole_number(text, lo, hi);
            return v ? std::string() : v.error().why;
        },
        "");
}

}  // namespace kt::cli
