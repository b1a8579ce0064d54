// The agent's log: one line per change on stderr, as text or (--json-log) JSON lines, for
// journald and `kubectl logs` to take from there.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace kt::engine {

class AgentLog {
public:
    using Fields = std::vector<std::pair<std::string, std::string>>;
    explicit AgentLog(bool json) : m_json(json) {}
    void info(const std::string& event, const Fields& fields);
    void warn(const std::string& event, const std::string& message);
    void error(const std::string& event, const std::string& message);

private:
    void line(const char* level, const std::string& event, const Fields& fields);
    bool m_json;
};

}  // namespace kt::engine
