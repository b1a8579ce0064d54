// A socket's keepalive configuration as getsockopt reports it.
#pragma once

#include <cstdint>

namespace kt {

// SO_KEEPALIVE, TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT, TCP_USER_TIMEOUT. A socket that
// never set an idle/interval/count reads back its netns's sysctl: getsockopt cannot tell
// "set on the socket" from "inherited" (tcp_keepalive_time_when() in include/net/tcp.h).
struct SocketOptions {
    bool keepalive = false;
    std::uint32_t idle_seconds = 0;
    std::uint32_t interval_seconds = 0;
    std::uint32_t count = 0;
    std::uint32_t user_timeout_ms = 0;
    friend bool operator==(const SocketOptions&, const SocketOptions&) = default;
};

}  // namespace kt
