// Writing results to standard output.
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

namespace kt::cli {

void write_out(std::string_view text);
// One JSON document, pretty-printed, newline-terminated.
void write_json(const nlohmann::json& doc);

}  // namespace kt::cli
