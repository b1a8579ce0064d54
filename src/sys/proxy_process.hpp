// A running proxy as /proc shows it: its name, executable, command line, working directory and
// parent, and its configuration files read through /proc/PID/root, so that a process in a
// container or another mount namespace is audited with its own files.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/config/config_source.hpp"
#include "core/text/error.hpp"

namespace kt::sys {

struct ProcessFacts {
    std::int32_t pid = 0;
    std::int32_t ppid = 0;
    std::string comm;
    std::string exe;                // the executable's path, empty when it cannot be read
    std::vector<std::string> argv;  // /proc/PID/cmdline split at NUL, trailing empty words dropped
    std::string cwd;                // as the process sees it; "/" when it cannot be read
    std::string root;               // PROC/PID/root: its own filesystem, to read its files through
    std::string root_target;        // where that link points ("/" unless chrooted), empty when unreadable
    std::uint64_t mount_ns = 0;     // the mount namespace's inode, 0 when unknown
};

// Reads `pid` under `proc_root`. An error names the pid: gone, or its command line unreadable.
Result<ProcessFacts> read_process_facts(const std::string& proc_root, std::int32_t pid);

// The processes whose parent is `pid`, and theirs, up to 4 levels (nginx and HAProxy workers
// are direct children), sorted.
std::vector<std::int32_t> descendants_of(const std::string& proc_root, std::int32_t pid);

// The configuration files `paths` name, read under `root` and named as the process sees them.
// A directory stands for its *.cfg files in name order (HAProxy's -f DIR).
Result<std::vector<ConfigFile>> read_config_files_under(const std::string& root, const std::vector<std::string>& paths);

}  // namespace kt::sys
