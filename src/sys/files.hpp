// Reading files, with errors that say which file and why.
#pragma once

#include <string>
#include <vector>

#include "core/error.hpp"

namespace kt::sys {

// The whole file; refuses anything over `limit` bytes (profiles and configs are small).
Result<std::string> read_text_file(const std::string& path, std::size_t limit = 1 << 20);

// Regular files ending in `suffix` directly inside `dir`, sorted by name. A missing dir is empty.
std::vector<std::string> files_in_dir(const std::string& dir, std::string_view suffix);

bool is_regular_file(const std::string& path);

// /proc/self/exe resolved, or empty.
std::string self_executable();

// "<strerror>" for errno values, without the locale surprises of strerror().
std::string errno_text(int err);

}  // namespace kt::sys
