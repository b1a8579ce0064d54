// One run at a time per target: apply, --watch and undo take a lock per process (and apply
// --sysctl per network namespace) before changing anything, so two runs never both record the
// "original" values of the same sockets. The locks are flock()s on files under
// /run/keepalive-tune (a per-user directory when not root): the kernel drops them when the run
// ends, however it ends.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/text/error.hpp"
#include "sys/unique_fd.hpp"

namespace kt::sys {

class TargetLocks {
public:
    // `run` says who holds the locks, for the message another run gets ("apply aws-nlb --pid
    // 812 --watch 10").
    explicit TargetLocks(std::string run, std::string dir = {});
    ~TargetLocks();
    TargetLocks(const TargetLocks&) = delete;
    TargetLocks& operator=(const TargetLocks&) = delete;

    // Locks process PID (told apart from a later process with the same pid by its start
    // time). Held by another run: an error naming that run and its pid. A process already
    // locked by this object is fine.
    Result<void> lock_process(std::int32_t pid);
    // Locks network namespace `inode` (apply --sysctl).
    Result<void> lock_netns(std::uint64_t inode, const std::string& label);

private:
    Result<void> lock(const std::string& key, const std::string& what);
    std::string m_run;
    std::string m_dir;
    std::vector<std::pair<std::string, UniqueFd>> m_held;  // key (file name), the locked file
};

}  // namespace kt::sys
