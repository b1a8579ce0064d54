// The connections `probe` opens: connected, keepalive set to wait a given idle before the first
// probe, never sent a byte; and what their kernel state shows while they wait.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "core/health/probe.hpp"
#include "core/socket/socket_record.hpp"
#include "core/text/error.hpp"
#include "sys/netns.hpp"
#include "sys/unique_fd.hpp"

namespace kt::sys {

// "HOST:PORT" or "[V6]:PORT"; HOST may be a name (resolved once, the first address used).
Result<Endpoint> resolve_destination(const std::string& text);

class ProbeSocket {
public:
    // Connects from `from` (any address when absent) inside `ns`, with SO_KEEPALIVE on,
    // TCP_KEEPIDLE idle_s, TCP_KEEPINTVL 1 and TCP_KEEPCNT 3. Errors keep the errno in `code`
    // (ECONNREFUSED, ETIMEDOUT for no answer within `timeout`).
    static Result<ProbeSocket> open(const NetnsTarget& ns, const Endpoint& to, const std::optional<IpAddress>& from,
                                    std::uint32_t idle_s, std::chrono::milliseconds timeout);

    // Its state, pending error, unanswered probes and time since the last ACK.
    ProbeSample sample() const;
    std::uint16_t local_port() const { return m_local_port; }

private:
    explicit ProbeSocket(UniqueFd fd, std::uint16_t port) : m_fd(std::move(fd)), m_local_port(port) {}
    UniqueFd m_fd;
    std::uint16_t m_local_port = 0;
};

}  // namespace kt::sys
