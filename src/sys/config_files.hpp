// Reading proxy configurations from disk: the main file, and the files its includes name.
#pragma once

#include <string>

#include "core/config/config_source.hpp"

namespace kt::sys {

// Resolves include patterns the way nginx does: relative to `base_dir` (the main file's
// directory), glob characters expanded in sorted order (no match is no file), a plain path
// that cannot be read an error. With `root` (a process's /proc/PID/root), files are read
// under it and named as that process sees them.
IncludeResolver include_resolver(std::string base_dir, std::string root = "");

// The directory part of `path` ("." for a bare name).
std::string directory_of(const std::string& path);

}  // namespace kt::sys
