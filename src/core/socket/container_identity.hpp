// Who lives in a network namespace, in the words a person uses: the container and the
// Kubernetes pod, parsed from the text the kernel and the kubelet leave behind.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kt {

// What a process's cgroup path says about it: its container (runtime and 64-hex id) and,
// under a kubepods hierarchy, its pod's UID. Fields are empty when the path does not say.
struct CgroupIdentity {
    std::string runtime;       // "containerd", "cri-o", "docker", "podman", or empty for a bare id
    std::string container_id;  // 64 lowercase hex digits
    std::string pod_uid;       // with dashes, as the API server writes it
};

// The identity in the text of /proc/PID/cgroup ("0::/kubepods.slice/..." and, on cgroup v1
// or hybrid hosts, one line per hierarchy). Handles the systemd driver
// ("kubepods-burstable-pod<uid with _>.slice/cri-containerd-<id>.scope", "crio-<id>.scope",
// "docker-<id>.scope", "libpod-<id>.scope", and "<slice>:cri-containerd:<id>") and the cgroupfs
// driver ("/kubepods/burstable/pod<uid>/<id>", "/docker/<id>"). The cgroup v2 line is read
// first; a v1 line fills what it leaves empty.
CgroupIdentity parse_cgroup_identity(std::string_view proc_pid_cgroup);

// A pod as its log directory names it: /var/log/pods/<namespace>_<name>_<uid>. The kubelet
// makes that name from the pod's metadata; namespace and name are DNS labels, so they hold
// no '_' and the split is exact.
struct PodRef {
    std::string namespace_name;
    std::string name;
    std::string uid;
};
std::optional<PodRef> parse_pod_log_dir(std::string_view dir_name);

// A container as its log link names it: /var/log/containers/<pod>_<namespace>_<container>-<id>.log
// (the kubelet's link into the pod's log directory). Pod, namespace and container names are DNS
// labels, without '_'; the id is 64 lowercase hex digits.
struct ContainerLogRef {
    std::string pod;
    std::string namespace_name;
    std::string container;
    std::string container_id;
};
std::optional<ContainerLogRef> parse_container_log_name(std::string_view file_name);

// The pod's hostname from the kubelet's <pods>/<uid>/etc-hosts: the names on the first
// entry that is neither a loopback nor an ip6-* line, before any HostAliases entries; the
// last name on that line is the short hostname (the pod name unless spec.hostname is set).
// Empty for a host-network pod's copy of the node's /etc/hosts, which names no pod.
std::string parse_kubelet_etc_hosts(std::string_view etc_hosts);

// The short label of a namespace that holds a container: "pod:NAME" for a Kubernetes pod
// (NAME from its log directory, else its hostname, else its UID) and "container:HOSTNAME"
// (the hostname when it differs from the host's, else the first 12 digits of the id)
// for other containers. Empty when there is no container, so the caller keeps its label.
struct NetnsIdentity {
    std::string hostname;                     // the UTS hostname of a process in it
    std::string container_id;                 // the container of that process
    std::string runtime;
    std::vector<std::string> container_ids;   // every container seen in it, sorted
    std::string pod_uid;
    std::string pod;                          // "namespace/name", or the name alone when only that is known
};
std::string container_label(const NetnsIdentity& id, std::string_view host_hostname);

// Whether `id` is the one `--pod NAME` means: NAME equals the pod's name or "namespace/name",
// or "name/UIDPREFIX" (the label of a pod whose name repeats), or, with no pod known, its hostname.
bool pod_matches(const NetnsIdentity& id, std::string_view name);

// One namespace's label as a metric label and state-file key, and who is in it.
struct LabelledNetns {
    std::string label;
    const NetnsIdentity* identity = nullptr;
    std::uint64_t inode = 0;
};
// Makes every label unique, as Prometheus series and check's state file need: a repeated pod
// label becomes "pod:NAMESPACE/NAME" where the namespace is known, else "pod:NAME/UID8" (the
// first 8 digits of the pod UID); a repeated container label takes its container id; whatever
// still repeats gets "@INODE" of its namespace.
void make_labels_unique(std::vector<LabelledNetns>& namespaces);

// Whether `--container PREFIX` means `id`: some container in it has an id starting with
// PREFIX (lowercase hex, as `crictl ps` and `docker ps` print them).
bool container_matches(const NetnsIdentity& id, std::string_view prefix);

}  // namespace kt
