// A profile on the connections a cgroup's processes hold now, through the BPF engine, recorded
// in an undo file first: what the agent does when a cgroup starts matching a rule that says
// `existing: true` (the pinned programs only reach connections made from then on).
#pragma once

#include <cstdint>
#include <string>

#include "core/profile/profile.hpp"
#include "core/text/error.hpp"

namespace kt::engine {

struct CgroupApply {
    std::size_t changed = 0, compliant = 0, failed = 0, gone = 0;
    const char* engine = "bpf";
};

// `undo_file` gains the sockets changed here (it is written before the first change: nothing
// changes when it cannot be). No process or socket in the cgroup is not an error.
Result<CgroupApply> apply_to_cgroup(const Profile& p, const std::string& cgroup, std::uint8_t roles,
                                    const std::string& undo_file);

}  // namespace kt::engine
