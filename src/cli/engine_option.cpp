#include "cli/engine_option.hpp"

namespace kt::cli {

void add_engine_option(CLI::App& cmd, std::string& into, const std::string& help) {
    cmd.add_option("--engine", into,
                   help.empty() ? "auto (BPF where it loads, else pidfd), bpf (a BPF socket iterator: every socket, values "
                                  "set or inherited) or pidfd (pidfd_getfd on the owners' descriptors)"
                                : help)
        ->default_str("auto");
}

}  // namespace kt::cli
