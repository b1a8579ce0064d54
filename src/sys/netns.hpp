// Network namespaces: naming them, finding them all, and running code inside one.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/socket/container_identity.hpp"
#include "core/text/error.hpp"

namespace kt::sys {

struct NetnsTarget {
    std::string label;        // netns_label(), or after identify_namespaces "pod:NAME" / "container:HOSTNAME"
    std::string path;         // what to setns() to; empty for the caller's own netns
    std::uint64_t inode = 0;  // the nsfs inode, which identifies a netns
    std::int32_t pid = 0;     // one process inside, when known
    std::string comm;         // that process's name
    NetnsIdentity identity = {};  // its hostname, containers and pod (identify_namespaces)
};

// The one label a namespace gets in every mode (so a check state file keyed by it holds):
// its /run/netns name, "host" for the initial namespace (found through /proc/1, or by
// init_net's fixed inode when /proc/1 cannot be read), "pid:N" after the oldest process in
// it, or "netns:<inode>" when none can be seen.
std::string netns_label(std::uint64_t inode, const std::string& proc_root = "/proc",
                        const std::string& run_netns = "/run/netns");

// The netns this process is in.
Result<NetnsTarget> current_netns(const std::string& proc_root = "/proc");

// NAME (from /run/netns, as `ip netns` names them) or a PATH to a netns file.
Result<NetnsTarget> netns_by_name(const std::string& name_or_path, const std::string& run_netns = "/run/netns");

// The netns of process PID.
Result<NetnsTarget> netns_of_pid(std::int32_t pid, const std::string& proc_root = "/proc");

struct NetnsDiscovery {
    std::vector<NetnsTarget> found;  // one per distinct inode; host first
    Errors problems;                 // entries that could not be read
};

// Every distinct netns: /proc/*/ns/net and /run/netns/*, deduplicated by inode.
NetnsDiscovery discover_netns(const std::string& proc_root = "/proc", const std::string& run_netns = "/run/netns");

struct NetnsChoice {
    std::string name;       // --netns NAME|PATH
    std::int32_t pid = 0;   // --netns-of PID
    bool all = false;       // --all-netns
    std::string pod;        // --pod NAME
    std::string container;  // --container ID-PREFIX
};

// The namespaces chosen by --netns, --netns-of, --all-netns, --pod or --container (at most
// one), or the caller's own, each identified (identify_namespaces). With --all-netns, entries
// that could not be read go to `problems`.
Result<std::vector<NetnsTarget>> select_netns(const NetnsChoice& choice, Errors& problems);

// The namespaces of these processes, each once (for --pid and --comm: sockets are looked for
// where their owners are). A process whose namespace cannot be seen adds a warning and the
// caller's own namespace, which needs no setns. Not identified (identify_namespaces), since
// apply and verify read them on every pass.
std::vector<NetnsTarget> namespaces_of(const std::vector<std::int32_t>& pids, Errors& warnings);

// Runs `body` with this thread in `target` (setns needs CAP_SYS_ADMIN), then returns to the
// netns it came from, whatever `body` returned.
Result<void> run_in_netns(const NetnsTarget& target, const std::function<Result<void>()>& body);

}  // namespace kt::sys
