// `apply` on the sockets of running processes, and `verify` of the same: plan, then act.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cli/command.hpp"
#include "cli/target_options.hpp"
#include "core/profile.hpp"
#include "render/apply_view.hpp"
#include "sys/unique_fd.hpp"

namespace kt::cli {

// A socket reached through pidfd_getfd, with its values read and its plan made.
struct PreparedSocket {
    sys::FoundSocket found;
    sys::UniqueFd dup;
    render::SocketReport report;
};

struct Preparation {
    std::vector<PreparedSocket> sockets;
    std::vector<render::SocketReport> gone;  // processes or fds that went away meanwhile
};

// Duplicates and reads every socket. A refusal (EPERM) is an error for the whole command,
// since nothing may change while any input is bad; a socket that went away is reported.
std::expected<Preparation, Errors> prepare_sockets(const std::vector<sys::FoundSocket>& found, const Profile& p);

struct ApplySocketsOptions {
    TargetOptions target;
    bool dry_run = false;
    std::string undo_file;
    unsigned watch_seconds = 0;
};

CommandResult run_apply_sockets(const GlobalOptions& g, const Profile& p, const ApplySocketsOptions& o);

}  // namespace kt::cli
