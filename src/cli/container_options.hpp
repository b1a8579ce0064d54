// --pod and --container: network namespaces chosen by the pod or container in them, on every
// command that takes --netns.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

namespace kt::cli {

// Binds --pod NAME and --container ID-PREFIX; `what` starts the help ("probe from", "with --sysctl:").
void add_container_options(CLI::App& cmd, std::string& pod, std::string& container, const std::string& what = "");

}  // namespace kt::cli
