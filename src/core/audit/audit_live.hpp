// `audit --pid/--comm`: the keepalive a running proxy's configuration declares on each listener,
// against what the kernel holds on the process's listening sockets (rules L1-L3). Pure: the
// caller gathers the sockets' exact values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/audit/audit.hpp"
#include "core/config/declared_listeners.hpp"
#include "core/config/proxy_launch.hpp"
#include "core/socket/socket_options.hpp"

namespace kt {

// A listening socket of the process (or of its children) with its exact options.
struct ObservedListener {
    Endpoint local;
    std::uint32_t inode = 0;
    std::int32_t pid = 0;
    std::int32_t fd = 0;
    SocketOptions options;
};

// The process audited, as the report names it.
struct LiveProcess {
    std::int32_t pid = 0;
    ProxyKind kind = ProxyKind::nginx;
    std::vector<std::int32_t> owners;  // pid and its children, whose sockets were read
    std::string netns;                 // label of its network namespace
    std::string engine;                // "pidfd" or "bpf"
    std::vector<std::string> config_paths;  // from its command line, as it sees them
    bool default_config = false;
    std::optional<EnvoyVersion> envoy_version;  // Envoy: --envoy-version, for the fixes' syntax
};

enum class LiveVerdict { consistent, drift, undeclared_values, no_socket };
std::string_view live_verdict_name(LiveVerdict v);  // "consistent", "drift", "undeclared-values", "no-socket"

struct LiveListenerCheck {
    DeclaredListener declared;
    std::vector<ObservedListener> sockets;  // the listening sockets serving it
    LiveVerdict verdict = LiveVerdict::consistent;
};

struct LiveAudit {
    LiveProcess process;
    std::vector<LiveListenerCheck> listeners;
    std::vector<ObservedListener> undeclared;  // listening sockets no declared listener accounts for
    std::vector<AuditFinding> findings;        // L1-L3, also appended to the configuration's report
};

// L1 (medium; high when the socket has keepalive off where the configuration turns it on): a
// value the configuration puts on the listening socket differs from the socket's. L2 (medium,
// also beside L1 on the same socket, since a reload does not remove these):
// the socket carries keepalive values the configuration does not declare (set at run time, e.g.
// by `keepalive-tune apply`), which a restart loses; the fix persists them, rendered as `profile
// render --for nginx|haproxy|envoy` would. L3 (info): a declared listener with no listening socket.
// A value equal to the netns default counts as unset: getsockopt cannot tell them apart.
LiveAudit check_live_listeners(LiveProcess process, const std::vector<DeclaredListener>& declared,
                               const std::vector<ObservedListener>& sockets, const NetnsKeepalive& netns);

// "60/20/2" (idle/interval/count), with "keepalive off" or "on" in front.
std::string live_values_text(const SocketOptions& o);

}  // namespace kt
