#include "cli/command.hpp"

#include <array>

namespace kt::cli {

std::span<const CommandSpec> command_table() {
    static const std::array<CommandSpec, 2> table = {{
        {"inspect", "list TCP sockets with their keepalive state, role, owner and netns (sock_diag)", setup_inspect},
        {"profile", "list, show, validate and check keepalive profiles against middlebox idle timeouts",
         setup_profile},
    }};
    return table;
}

}  // namespace kt::cli
