// What `enforce` pins for a cgroup: the profile's values for new connections, and what
// `enforce --list` shows of it. The same struct is the BPF map's value.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "bpf/kt_bpf_shared.h"
#include "core/profile/profile.hpp"
#include "core/text/error.hpp"

namespace kt {

struct EnforceRequest {
    const Profile* profile = nullptr;
    std::uint8_t roles = 0;  // role_bit() of listener, accepted, upstream
    bool override_app = false;
    std::string cgroup_path;  // absolute cgroup v2 directory
    std::uint64_t cgroup_id = 0;
    std::uint64_t since_unix = 0;
};

// The depth of an absolute cgroup directory ("/sys/fs/cgroup/a/b" is 5): of two nested
// enforced cgroups, the deeper one's profile wins.
std::uint32_t cgroup_level(std::string_view absolute_path);
// Whether cgroup directory `inner` lies below `outer` (not the same).
bool cgroup_inside(std::string_view inner, std::string_view outer);

// The map value; an error when a name does not fit its fixed field.
Result<kt_enforce_config> make_enforce_config(const EnforceRequest& r);

// The pinned value read back, as plain values.
struct EnforcedCgroup {
    std::string profile;
    std::string cgroup_path;
    std::uint64_t cgroup_id = 0;
    std::uint64_t since_unix = 0;
    std::uint8_t roles = 0;
    bool override_app = false;
    std::uint32_t level = 0;  // the directory's depth: where cgroups nest, the deeper profile wins
    bool keepalive = false;
    std::uint32_t idle_seconds = 0, interval_seconds = 0, count = 0, user_timeout_ms = 0;
};
EnforcedCgroup read_enforce_config(const kt_enforce_config& c);

// What enforcing `after` on a cgroup that had `before` changes, one phrase each ("profile a ->
// b", "values 60/10/6 -> 300/30/3", "roles accepted -> listener,accepted,upstream",
// "override-app on -> off"); empty when nothing does.
std::vector<std::string> enforce_changes(const EnforcedCgroup& before, const EnforcedCgroup& after);

// The cgroup v2 directory ("/kubepods.slice/.../cri-containerd-<id>.scope") in the text of
// /proc/PID/cgroup: its "0::" line; empty on a host without one.
std::string unified_cgroup_path(std::string_view proc_pid_cgroup);

// The cgroup of a pod from its processes' cgroup directories: the directory named after the
// pod UID ("kubepods-burstable-pod<uid with _>.slice" or "pod<uid>") where there is one,
// otherwise the deepest directory that holds them all. Empty for an empty list.
std::string pod_cgroup(const std::vector<std::string>& process_cgroups, std::string_view pod_uid);

}  // namespace kt
