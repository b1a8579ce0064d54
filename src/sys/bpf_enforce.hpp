// `enforce`: a cgroup sockops program (and a cgroup setsockopt program) attached through bpf
// links pinned in bpffs, with the profile in a pinned map, so every new connection of the
// cgroup gets the profile after the loader has exited.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/change/enforce_config.hpp"
#include "core/text/error.hpp"
#include "sys/unique_fd.hpp"

namespace kt::sys {

// Where the pins live: one directory per cgroup, named by its cgroup id.
inline constexpr const char* k_bpffs = "/sys/fs/bpf";
inline constexpr const char* k_pin_root = "/sys/fs/bpf/keepalive-tune";

// Runs that pin and unpin under k_pin_root hold this lock, so that one removing the last pins
// (with the shared marks and the pin root) never does so while another is pinning beside them.
UniqueFd lock_pins();

// bpffs is not mounted on every host (this one has none by default): mounts it where systemd
// would, so pins outlive this process. True when it mounted it.
Result<bool> ensure_bpffs();

// The absolute cgroup v2 directory of PATH (absolute, or relative to the cgroup2 mount) and its
// id (the directory's inode, which is what the kernel reports as the cgroup id).
struct CgroupDir {
    std::string path;
    std::uint64_t id = 0;
};
Result<CgroupDir> resolve_cgroup(const std::string& path);

struct EnforceResult {
    bool updated = false;          // the cgroup already had pins: only the profile changed
    std::optional<EnforcedCgroup> previous;  // when updated: what it had (its since is kept)
    bool mounted_bpffs = false;    // /sys/fs/bpf was not a bpffs and was mounted
    std::string pin_dir;
};

// Attaches and pins, or updates the pinned profile of a cgroup already enforced. All or
// nothing: a failure removes whatever this call pinned.
Result<EnforceResult> enforce(const kt_enforce_config& config);

struct EnforcedPin {
    EnforcedCgroup config;
    std::string pin_dir;
    bool cgroup_exists = false;  // the directory is there and is still the same cgroup
    std::uint64_t applied = 0, failed = 0, rewritten = 0;
};
// Loads the enforce programs ahead of the next enforce() in this process, which then only
// attaches and pins (a few milliseconds instead of libbpf's tens reading the kernel's BTF).
// The error says why this host cannot load them (no BPF in the build, capabilities, kernel).
Result<void> preload_enforce();

// Every cgroup enforced on this host (none when bpffs or the pin root is absent).
Result<std::vector<EnforcedPin>> list_enforced();

// Detaches: removes the pins of the cgroup (the links go with their last reference). False
// when the cgroup had none.
Result<bool> remove_enforced(std::uint64_t cgroup_id);

}  // namespace kt::sys
