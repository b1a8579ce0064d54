// `apply --sysctl`: a profile as the netns-wide keepalive defaults.
#pragma once

#include <string>

#include "cli/command.hpp"
#include "core/profile/profile.hpp"

namespace kt::cli {

struct ApplySysctlOptions {
    std::string netns;
    std::int32_t netns_of = 0;
    bool all_netns = false;
    std::string pod;
    std::string container;
    bool dry_run = false;
    std::string undo_file;
};

CommandResult run_apply_sysctl(const GlobalOptions& g, const Profile& p, const ApplySysctlOptions& o);

}  // namespace kt::cli
