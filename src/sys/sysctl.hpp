// The per-netns keepalive defaults: net.ipv4.tcp_keepalive_time, _intvl, _probes.
#pragma once

#include <string>

#include "core/text/error.hpp"
#include "sys/netns.hpp"

namespace kt::sys {

// "net.ipv4.tcp_keepalive_time" -> "/proc/sys/net/ipv4/tcp_keepalive_time".
std::string sysctl_path(const std::string& name);

// Read and write inside `ns`: /proc/sys/net shows the netns of the process that opens it.
Result<std::string> read_sysctl(const NetnsTarget& ns, const std::string& name);
Result<void> write_sysctl(const NetnsTarget& ns, const std::string& name, const std::string& value);

}  // namespace kt::sys
