// `verify` of running sockets against a profile, shared by `verify` and `check --profile`.
#pragma once

#include <vector>

#include "cli/command.hpp"
#include "cli/target_options.hpp"
#include "core/profile.hpp"
#include "render/apply_view.hpp"

namespace kt::cli {

struct VerifyOutcome {
    std::vector<render::SocketReport> reports;  // compliant and drifted sockets, then gone ones
    std::size_t compliant = 0;
    std::size_t drift = 0;
    std::size_t gone = 0;
    const char* engine = "pidfd";
};

// Reads every target socket's options and keepalive timer and compares them with `p`.
std::expected<VerifyOutcome, Errors> verify_sockets(const TargetOptions& target, const Profile& p);

}  // namespace kt::cli
