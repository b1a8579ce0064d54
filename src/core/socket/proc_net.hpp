// Parsers for the /proc/net and /proc/sys text the timewait report reads; text in, values out.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "core/socket/diag_bytecode.hpp"

namespace kt {

// The `tw` field of /proc/net/sockstat's "TCP:" line: TIME_WAIT sockets now, in O(1).
std::optional<std::uint64_t> sockstat_time_wait(std::string_view sockstat);

// Every TcpExt counter of /proc/net/netstat (a header line of names, then a line of values).
std::map<std::string, std::uint64_t, std::less<>> tcp_ext_counters(std::string_view netstat);

// net.ipv4.ip_local_port_range ("32768\t60999").
std::optional<PortRange> local_port_range(std::string_view text);

// A sysctl's single integer value.
std::optional<std::int64_t> sysctl_integer(std::string_view text);

}  // namespace kt
