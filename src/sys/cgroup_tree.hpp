// The cgroup v2 tree as the agent matches it: every directory with its id, and, under a
// kubepods hierarchy, the pod ("namespace/name", from the kubelet's pod log directories) and
// the container name (from its log links) each belongs to.
#pragma once

#include <string>
#include <vector>

#include "core/agent/reconcile_plan.hpp"

namespace kt::sys {

struct CgroupTreeSources {
    std::string root;                                  // the cgroup2 mount
    std::string pod_logs = "/var/log/pods";            // <namespace>_<name>_<uid>
    std::string container_logs = "/var/log/containers";  // <pod>_<namespace>_<container>-<id>.log
};

// Every directory below the root (not the root itself). Directories that vanish while being
// read are left out.
std::vector<CgroupNode> list_cgroups(const CgroupTreeSources& sources);

// The same for the absolute directories `dirs` only (the ones inotify said were made); those
// gone meanwhile, or outside the root, are left out.
std::vector<CgroupNode> describe_cgroups(const CgroupTreeSources& sources, const std::vector<std::string>& dirs);

}  // namespace kt::sys
