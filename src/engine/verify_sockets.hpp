// `verify` of running sockets against a profile, shared by `verify` and `check --profile`.
#pragma once

#include <vector>

#include "core/profile/profile.hpp"
#include "core/text/error.hpp"
#include "engine/socket_engine.hpp"
#include "engine/targets.hpp"
#include "render/apply_view.hpp"

namespace kt::engine {

struct VerifyOutcome {
    // Each socket's report is judged where the engine left it (prep.report(i)): compliant and
    // drifted sockets, then gone ones.
    Preparation prep;
    std::size_t compliant = 0;
    std::size_t drift = 0;
    std::size_t gone = 0;
    const char* engine = "pidfd";
};

// Reads every target socket's options and keepalive timer and compares them with `p`.
std::expected<VerifyOutcome, Errors> verify_sockets(const TargetOptions& target, const Profile& p);

}  // namespace kt::engine
