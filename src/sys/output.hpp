// Standard output and error of the process: results, warnings, progress and errors, for the
// commands and for the engines that drive them (namespace kt, so both call it unqualified).
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

#include "core/text/error.hpp"

namespace kt {

void write_out(std::string_view text);
// One JSON document, pretty-printed, newline-terminated.
void write_json(const nlohmann::json& doc);
// "keepalive-tune: warning: <text>" on stderr: something the user should know, not an error.
void write_warning(std::string_view text);
// "keepalive-tune: <text>" on stderr: progress of something that waits, kept off stdout.
void write_progress(std::string_view text);
// "keepalive-tune: error: <what>: <why>" on stderr.
void write_error(const Error& e);

}  // namespace kt
