// --engine auto|bpf|pidfd: which engine reads and changes socket options (engine/engine_choice.hpp).
#pragma once

#include <CLI/CLI.hpp>
#include <string>

namespace kt::cli {

void add_engine_option(CLI::App& cmd, std::string& into, const std::string& help = "");

}  // namespace kt::cli
