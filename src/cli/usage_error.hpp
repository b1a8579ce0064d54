// Turning CLI11's parse errors into one clear line, with the nearest valid name suggested.
#pragma once

#include <CLI/CLI.hpp>
#include <optional>

#include "core/text/error.hpp"

namespace kt::cli {

// `app` is the top-level app after a failed parse.
Error usage_error(const CLI::App& app, const CLI::ParseError& e);

// A value that selects nothing by name, given to an option of the chosen command (or the top
// level): an empty one ("$POD" unset), or the cgroup2 root for --cgroup. Each would otherwise
// mean "the host" or "everything"; the command does not run.
std::optional<Error> empty_value_error(const CLI::App& app);

}  // namespace kt::cli
