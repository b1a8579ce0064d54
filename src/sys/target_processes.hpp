// The processes a command acts on: --pid, --comm, --cgroup.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/text/error.hpp"

namespace kt::sys {

struct TargetSpec {
    std::vector<std::int32_t> pids;
    std::vector<std::string> comms;
    std::vector<std::string> cgroups;  // cgroup v2 directories, absolute or under cgroup_root
    std::string proc_root = "/proc";
    std::string cgroup_root;  // empty: the cgroup2 mount from /proc/self/mounts
};

// Where cgroup v2 is mounted (/sys/fs/cgroup, or /sys/fs/cgroup/unified on hybrid systems).
// The processes of cgroup directory `dir` and of every cgroup below it.
Result<std::vector<std::int32_t>> cgroup_processes(const std::string& dir);

std::string cgroup2_mount(const std::string& mounts = "/proc/self/mounts");

// The directory of a --cgroup as the user gave it: a full path under the cgroup2 mount, or a
// path below it ("system.slice/nginx.service", "/system.slice/nginx.service" as /proc/PID/cgroup
// writes it). An absolute filesystem path outside the mount (a cgroup v1 hierarchy's
// /sys/fs/cgroup/..., /etc) is an error that names the mount and the relative form.
Result<std::string> cgroup_dir_of(const std::string& given, const std::string& root);

// True while process PID runs: /proc/PID exists and it is not a zombie (an exited child its
// parent has not reaped yet holds no sockets).
bool process_exists(std::int32_t pid, const std::string& proc_root = "/proc");

// Every process named, sorted and deduplicated. A pid that does not exist, a name no
// process has, or a cgroup that is missing or empty is an error (nothing is changed).

std::expected<std::vector<std::int32_t>, Errors> resolve_targets(const TargetSpec& spec);

}  // namespace kt::sys
