// Naming network namespaces after the containers and pods in them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/socket/container_identity.hpp"
#include "core/text/error.hpp"

namespace kt::sys {

struct NetnsTarget;

// Where the identity of a namespace is read from.
struct PodSources {
    std::string proc_root = "/proc";
    std::string kubelet_root = "/var/lib/kubelet";  // <root>/pods/<uid>/etc-hosts
    std::string pod_logs = "/var/log/pods";         // <namespace>_<name>_<uid>
};

// The hostname of the UTS namespace process `pid` is in, or empty when it cannot be read.
std::string uts_hostname(std::int32_t pid, const std::string& proc_root = "/proc");

// This host's hostname (the caller's UTS namespace).
std::string own_hostname();

// Fills each target's `identity` from the processes in it (their cgroup paths and hostname)
// and the pod directories, and relabels the namespaces that hold a container
// ("pod:NAME", or "pod:NAMESPACE/NAME" where two pods share a name; "container:HOSTNAME").
// "host" and /run/netns names keep their labels, as do namespaces without a container, so
// labels stay what they were wherever nothing is found.
void identify_namespaces(std::vector<NetnsTarget>& targets, const PodSources& sources = {});

// The targets `--pod NAME` or `--container PREFIX` chose (identified already). None is an
// error naming what was looked for; a name or prefix that fits several namespaces is an error
// asking for more (namespace/name, more digits), since a change must not land twice.
Result<std::vector<NetnsTarget>> filter_by_container(std::vector<NetnsTarget> targets, const std::string& pod,
                                                     const std::string& container);

}  // namespace kt::sys
