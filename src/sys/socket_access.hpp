// Reaching another process's socket: pidfd_getfd (Linux 5.6+) duplicates the same open
// file description, so getsockopt/setsockopt on the copy act on the target's socket.
#pragma once

#include <cstdint>
#include <string>

#include "core/socket/socket_options.hpp"
#include "core/text/error.hpp"
#include "sys/unique_fd.hpp"

namespace kt::sys {

// A duplicate of fd `fd` of process `pid`, checked to be socket `inode` (so a recycled fd
// number is never mistaken for the socket that was listed). Errors explain permissions.
Result<UniqueFd> duplicate_socket(std::int32_t pid, std::int32_t fd, std::uint32_t inode);

// True when `e` (from duplicate_socket) means the process or socket is gone, not refused.
inline bool is_gone(const Error& e) { return e.code == 3 /* ESRCH */ || e.code == 9 /* EBADF */; }

// SO_KEEPALIVE, TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT and TCP_USER_TIMEOUT of `sock`.
Result<SocketOptions> read_socket_options(int sock);

// Why pidfd_getfd failed with `err` on `pid`, and what to do: CAP_SYS_PTRACE, dumpable
// targets, Yama ptrace_scope (read from `proc_root` when present), kernel version.
std::string explain_getfd_error(int err, std::int32_t pid, const std::string& proc_root = "/proc");

}  // namespace kt::sys
