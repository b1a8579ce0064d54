// `verify` of running sockets against a profile, shared by `verify` and `check --profile`.
#pragma once

#include <functional>
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
    bool streamed = false;   // the reports went to `each` as they were judged, and are not kept
    bool in_kernel = false;  // judged in the engine's own pass (SocketEngine::plan_in_pass)
};

// Reads every target socket's options and keepalive timer and compares them with `p`. With
// `each`, an engine that judges the sockets in its own pass hands each report to it as soon as
// it is judged (a table written while the pass runs) instead of keeping it.
using JudgedReport = std::function<void(const render::SocketReport&)>;
std::expected<VerifyOutcome, Errors> verify_sockets(const TargetOptions& target, const Profile& p,
                                                    const JudgedReport* each = nullptr);

}  // namespace kt::engine
