// Turning CLI11's parse errors into one clear line, with the nearest valid name suggested.
#pragma once

#include <CLI/CLI.hpp>

#include "core/text/error.hpp"

namespace kt::cli {

// `app` is the top-level app after a failed parse.
Error usage_error(const CLI::App& app, const CLI::ParseError& e);

}  // namespace kt::cli
