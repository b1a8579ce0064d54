// The live part of `audit --pid/--comm`: the process audited, and each declared listener beside
// the listening socket that serves it.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "core/audit/audit_live.hpp"

namespace kt::render {

// "running nginx pid 123 (workers 124 125), netns host, sockets read with the pidfd engine" and
// one line per declared listener and per undeclared listening socket.
std::string audit_live_text(const LiveAudit& live);

// {"pid", "kind", "owners", "netns", "engine", "command_line_config": [...], "default_config",
//  "listeners": [{"object", "address", "at", "declared", "verdict", "sockets": [{"local", "pid",
//  "fd", "inode", "keepalive", "idle_seconds", "interval_seconds", "count", "user_timeout_ms"}]}],
//  "undeclared_sockets": [...]}
nlohmann::json audit_live_json(const LiveAudit& live);

}  // namespace kt::render
