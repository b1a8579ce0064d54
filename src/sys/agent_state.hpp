// What the agent keeps on disk: which pins it made (so that a restarted agent adopts them and
// leaves the ones made by hand alone), the undo files of what it applied, and the lock that
// keeps one agent per node.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "core/text/error.hpp"
#include "sys/unique_fd.hpp"

namespace kt::sys {

inline constexpr const char* k_agent_state_dir = "/var/lib/keepalive-tune/agent";
inline constexpr const char* k_agent_lock = "/run/keepalive-tune/agent.pid";

struct AgentPin {
    std::string cgroup;  // absolute path when attached
    std::string rule;
};
using AgentPins = std::map<std::uint64_t, AgentPin>;  // by cgroup id

// The pins the agent recorded in `dir`/pins.json; none when the file is absent. A damaged
// file is an error (the agent would otherwise take its own pins for someone else's).
Result<AgentPins> read_agent_pins(const std::string& dir);
Result<void> write_agent_pins(const std::string& dir, const AgentPins& pins);

// Holds the node's agent lock while alive, with this process's pid in the file. Another
// agent holding it: an error naming its pid.
class AgentLock {
public:
    static Result<AgentLock> take(const std::string& path = k_agent_lock);

private:
    explicit AgentLock(UniqueFd fd) : m_fd(std::move(fd)) {}
    UniqueFd m_fd;
};

}  // namespace kt::sys
