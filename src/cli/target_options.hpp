// The TARGET flags shared by apply and verify: which processes, and which of their sockets.
#pragma once

#include <CLI/CLI.hpp>

#include "engine/targets.hpp"

namespace kt::cli {

void add_target_options(CLI::App& cmd, engine::TargetOptions& t);

// --pod and --container as targets (apply binds them itself: with --sysctl they choose a namespace).
void add_container_target_options(CLI::App& cmd, engine::TargetOptions& t);

}  // namespace kt::cli
