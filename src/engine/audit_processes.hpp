// `audit --pid/--comm`: find a running nginx or HAProxy, audit the configuration it was started
// with (read through its own root, against its own namespace's sysctls), and compare each
// declared listener with the kernel's view of its listening socket.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/audit/audit_live.hpp"
#include "core/text/error.hpp"

namespace kt::engine {

struct ProcessAuditRequest {
    std::vector<std::int32_t> pids;
    std::vector<std::string> comms;  // picked by /proc/PID/comm, as inspect --comm and apply --comm do
    std::string engine = "auto";     // how the listening sockets' exact values are read
    // Filled with the processes --comm found that are no proxy instance to audit (an nginx
    // worker whose master is gone): skipped, where a --pid naming one is an error.
    Errors* skipped = nullptr;
};

struct ProcessAudit {
    AuditReport report;  // the configuration's audit, with the L findings appended
    LiveAudit live;
};

// One audit per proxy instance: workers lead to their master, and processes that share the
// configuration files, network namespace and mount namespace are audited once. Errors (each
// naming its pid): no such process, not a proxy, a configuration that cannot be read or parsed,
// an Envoy started without a configuration file.
std::expected<std::vector<ProcessAudit>, Errors> audit_processes(const ProcessAuditRequest& request,
                                                                 const AuditContext& base);

}  // namespace kt::engine
