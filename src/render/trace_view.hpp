// What `trace` prints: one line (or one JSON line, schema keepalive-tune.trace-event.v1) per
// connection end as it happens, and the summary at the end.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <tuple>

#include "core/socket/socket_role.hpp"
#include "core/trace/connection_end.hpp"

namespace kt::render {

inline constexpr const char* k_trace_event_schema = "keepalive-tune.trace-event.v1";
inline constexpr const char* k_trace_summary_schema = "keepalive-tune.trace-summary.v1";

enum class OwnerState { found, gone, none };  // none: the socket had no file when it ended

struct TraceEvent {
    ConnectionEnd end;
    EndVerdict verdict;
    std::uint64_t unix_ms = 0;
    std::string netns;         // the label inspect gives, or "netns:INODE" for one already gone
    std::optional<SocketRole> role;  // none: a reset sent without a socket, or not known
    std::string reset_reason;  // reset-sent: the kernel's reason, or "not-specified"
    OwnerState owner = OwnerState::none;
    std::int32_t pid = 0;
    std::string comm;
};

std::string trace_line(const TraceEvent& e);
nlohmann::json trace_json(const TraceEvent& e);

// Counts by reason and destination, and by owner, for --summary.
class TraceSummary {
public:
    void add(const TraceEvent& e);
    void set_lost(std::uint64_t lost) { m_lost = lost; }
    std::string text(double seconds, std::size_t top) const;
    nlohmann::json json(double seconds, std::size_t top) const;

private:
    std::uint64_t m_events = 0;
    std::uint64_t m_lost = 0;
    std::map<std::string, std::uint64_t> m_by_reason;
    std::map<std::pair<std::string, std::string>, std::uint64_t> m_by_destination;  // reason, peer
    std::map<std::string, std::uint64_t> m_by_owner;                                 // "pid comm" or "gone"
};

}  // namespace kt::render
