// The flags of `health` that `reap` and `check` take too (engine::HealthOptions).
#pragma once

#include <CLI/CLI.hpp>

#include "engine/health_scan.hpp"

namespace kt::cli {

// Binds the options; `with_selection` adds the filters of inspect (check has none).
void add_health_options(CLI::App& cmd, engine::HealthOptions& o, bool with_selection);

}  // namespace kt::cli
