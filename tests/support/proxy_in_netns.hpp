// A server program (nginx, HAProxy, a stand-in) run in a test's network namespace with
// `ip netns exec`, which execs it, so the pid is the program's. Stopped by its pid (SIGTERM,
// then SIGKILL after 5 s), its children with it.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "support/netns.hpp"

namespace kt::test {

class ProxyInNetns {
public:
    // Output and errors go to `log`.
    ProxyInNetns(const TestNetns& ns, const std::vector<std::string>& argv, const std::string& log);
    ~ProxyInNetns();
    ProxyInNetns(const ProxyInNetns&) = delete;
    ProxyInNetns& operator=(const ProxyInNetns&) = delete;
    pid_t pid() const { return m_pid; }

private:
    pid_t m_pid = -1;
};

// Every process below `pid` (children, grandchildren), from /proc.
std::vector<pid_t> descendants(pid_t pid);

// Waits (at most 10 s) until the namespace has a TCP listener on each port.
bool wait_for_listeners(const TestNetns& ns, const std::vector<int>& ports);

}  // namespace kt::test
