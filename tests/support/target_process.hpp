// A separate process owning TCP sockets, which reports its OWN getsockopt view on request,
// so tests check what the target sees rather than what keepalive-tune thinks it did.
#pragma once

#include <sys/types.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace kt::test {

// SO_KEEPALIVE, TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT, TCP_USER_TIMEOUT.
using Options = std::array<int, 5>;

class TargetProcess {
public:
    // A listener on `address`, one upstream connection to it and the accepted side, in the
    // netns `netns` (empty: this one). `upstream_before` is set on the upstream socket first.
    explicit TargetProcess(const std::string& address = "127.0.0.1", const std::string& netns = "",
                           Options upstream_before = {0, 0, 0, 0, 0});
    ~TargetProcess();
    TargetProcess(const TargetProcess&) = delete;
    TargetProcess& operator=(const TargetProcess&) = delete;

    bool ok() const { return m_ok; }
    pid_t pid() const { return m_pid; }
    std::uint16_t port() const { return m_port; }
    int listener_fd() const { return m_fds[0]; }
    int upstream_fd() const { return m_fds[1]; }
    int accepted_fd() const { return m_fds[2]; }
    std::uint16_t upstream_port() const { return m_upstream_port; }

    // The target's own view of its listener, upstream and accepted sockets.
    std::vector<Options> options();
    // Makes a new connection to the listener and accepts it; returns the accepted side's view.
    Options accept_new();
    // Opens a new upstream connection; returns the new fd.
    int connect_new();
    // Opens `n` more connections to the listener, with SO_KEEPALIVE on the upstream side when
    // `keepalive`; returns how many were made.
    int connect_many(int n, bool keepalive);
    // Accepts one connection someone else made to the listener; returns its fd (-1 on timeout).
    int accept_pending();
    // The target's view of fd `fd`.
    Options options_of(int fd);

private:
    bool m_ok = false;
    pid_t m_pid = -1;
    int m_cmd = -1, m_reply = -1;
    std::uint16_t m_port = 0, m_upstream_port = 0;
    std::array<int, 3> m_fds{};
};

// Reads an int from /proc/net/netstat (TcpExt) of this thread's netns.
long tcp_ext_counter(const std::string& name);

}  // namespace kt::test
