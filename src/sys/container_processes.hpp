// The processes of a pod or a container, for --pod and --container as apply and verify targets.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/text/error.hpp"

namespace kt::sys {

// Every process in the network namespace of pod NAME (as --pod chooses it for --netns), so
// every container of the pod. Sorted.
Result<std::vector<std::int32_t>> processes_of_pod(const std::string& name, const std::string& proc_root = "/proc");

// Every process of the one container whose id starts with PREFIX, from /proc/PID/cgroup.
// No such container, or a prefix that fits several, is an error. Sorted.
Result<std::vector<std::int32_t>> processes_of_container(const std::string& prefix,
                                                         const std::string& proc_root = "/proc");

// The cgroup v2 directory, relative to the cgroup2 mount, of pod NAME (the directory named
// after its UID, holding all its containers) or of the one container whose id starts with
// PREFIX: what `enforce --pod` and `--container` attach to. Processes in the root cgroup, or
// a host without cgroup v2, are an error.
Result<std::string> cgroup_of_pod(const std::string& name, const std::string& proc_root = "/proc");
Result<std::string> cgroup_of_container(const std::string& prefix, const std::string& proc_root = "/proc");

}  // namespace kt::sys
