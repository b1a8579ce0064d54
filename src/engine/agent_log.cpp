#include "engine/agent_log.hpp"

#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

namespace kt::engine {

namespace {
std::string utc_now() {
    timeval tv{};
    ::gettimeofday(&tv, nullptr);
    std::tm tm{};
    gmtime_r(&tv.tv_sec, &tm);
    char buf[40];
    const std::size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    std::snprintf(buf + n, sizeof buf - n, ".%03dZ", static_cast<int>(tv.tv_usec / 1000));
    return buf;
}

void write_line(const std::string& s) {
    // One write per line: lines from the health thread and the loop never interleave.
    const std::string out = s + "\n";
    for (std::size_t done = 0; done < out.size();) {
        const ssize_t n = ::write(2, out.data() + done, out.size() - done);
        if (n <= 0) return;
        done += static_cast<std::size_t>(n);
    }
}
}  // namespace

void AgentLog::line(const char* level, const std::string& event, const Fields& fields) {
    if (m_json) {
        nlohmann::json j{{"time", utc_now()}, {"level", level}, {"event", event}};
        for (const auto& [k, v] : fields) j[k] = v;
        write_line(j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
        return;
    }
    std::string s = "keepalive-tune agent: " + std::string(level == std::string("info") ? "" : std::string(level) + ": ") + event;
    bool first = true;
    for (const auto& [k, v] : fields) {
        s += (first ? ": " : ", ") + (k == "detail" ? v : k + " " + v);
        first = false;
    }
    write_line(s);
}

void AgentLog::info(const std::string& event, const Fields& fields) { line("info", event, fields); }
void AgentLog::warn(const std::string& event, const std::string& message) { line("warning", event, {{"detail", message}}); }
void AgentLog::error(const std::string& event, const std::string& message) { line("error", event, {{"detail", message}}); }

}  // namespace kt::engine
