// Real TCP sockets for kernel tests: listeners and connections on loopback.
#pragma once

#include <cstdint>
#include <string>

namespace kt::test {

// A listener on `address` (an IPv4 or IPv6 literal) and port (0 = any); returns the fd.
int listen_on(const std::string& address, std::uint16_t port = 0, int backlog = 512);
std::uint16_t local_port(int fd);
// A blocking connect to address:port; returns the fd.
int connect_to(const std::string& address, std::uint16_t port);
// A blocking connect that reports failure: the fd, or -errno.
int try_connect(const std::string& address, std::uint16_t port);
int accept_one(int listener);
void set_keepalive(int fd, int idle, int interval, int count);
void set_int_option(int fd, int level, int name, int value);
int get_int_option(int fd, int level, int name);

}  // namespace kt::test
