// `apply` on the sockets of running processes: plan, then act, then (with --watch) again.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cli/command.hpp"
#include "cli/target_options.hpp"
#include "core/profile/profile.hpp"
#include "engine/socket_engine.hpp"
#include "render/apply_view.hpp"

namespace kt::cli {

struct ApplySocketsOptions {
    engine::TargetOptions target;
    bool dry_run = false;
    std::string undo_file;
    unsigned watch_seconds = 0;
};

CommandResult run_apply_sockets(const GlobalOptions& g, const Profile& p, const ApplySocketsOptions& o);

}  // namespace kt::cli
