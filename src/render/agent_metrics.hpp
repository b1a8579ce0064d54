// The agent's own series in Prometheus text exposition, beside check's.
#pragma once

#include <string>

#include "core/agent/agent_status.hpp"

namespace kt::render {

std::string agent_prometheus(const AgentStatus& s);

}  // namespace kt::render
