// Reading files, with errors that say which file and why.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/text/error.hpp"

namespace kt::sys {

// The whole file; refuses anything over `limit` bytes (profiles and configs are small).
Result<std::string> read_text_file(const std::string& path, std::size_t limit = 1 << 20);

// Regular files ending in `suffix` directly inside `dir`, sorted by name. A missing dir is empty.
std::vector<std::string> files_in_dir(const std::string& dir, std::string_view suffix);

bool is_regular_file(const std::string& path);

// Replaces `path` with `text` atomically: a temporary file in the same directory, fsync,
// rename, fsync of the directory. Readers see the old file or the new one, never half.
Result<void> write_file_atomically(const std::string& path, std::string_view text, unsigned mode = 0644);

// Whether write_file_atomically(path) would get through: the directory exists and takes new
// files, and the path is not a directory. Writes nothing (for dry runs).
Result<void> check_file_writable(const std::string& path);

// /proc/PID/comm under `proc_root` without its newline, or empty if the process is gone.
std::string read_comm(const std::string& proc_root, std::int32_t pid);

// True for a /proc entry that is a process ("1234").
bool is_pid_name(const char* name);

// Gives the heap's free pages back to the kernel (malloc_trim): a long-running process after a
// large scan would otherwise keep them resident.
void return_free_memory();

// /proc/self/exe resolved, or empty.
std::string self_executable();

// Appended to a refusal (EPERM, EACCES): for a caller that is not root, what it needs
// ("; reaching ... needs CAP_SYS_PTRACE (run as root)"); for root, that root was not enough
// and what refuses root (capabilities the target holds and the caller lacks, an LSM, Yama,
// seccomp), since "run as root" would send a root user in circles.
std::string refusal_hint(std::string_view needs);

// "<strerror>" for errno values, without the locale surprises of strerror().
std::string errno_text(int err);

// Raises this process's soft RLIMIT_NOFILE to its hard limit; returns the limit now in force.
std::uint64_t raise_fd_limit();

}  // namespace kt::sys
