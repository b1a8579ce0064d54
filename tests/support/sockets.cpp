#include "support/sockets.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>

namespace kt::test {

namespace {
socklen_t make_address(const std::string& address, std::uint16_t port, sockaddr_storage& ss) {
    std::memset(&ss, 0, sizeof ss);
    auto* v4 = reinterpret_cast<sockaddr_in*>(&ss);
    if (inet_pton(AF_INET, address.c_str(), &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(port);
        return sizeof(sockaddr_in);
    }
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&ss);
    if (inet_pton(AF_INET6, address.c_str(), &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(port);
        return sizeof(sockaddr_in6);
    }
    throw std::runtime_error("bad address " + address);
}
}  // namespace

int listen_on(const std::string& address, std::uint16_t port, int backlog) {
    sockaddr_storage ss;
    const socklen_t len = make_address(address, port, ss);
    const int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0 || listen(fd, backlog) != 0)
        throw std::runtime_error("cannot listen on " + address + ": " + std::strerror(errno));
    return fd;
}

std::uint16_t local_port(int fd) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
    return ntohs(ss.ss_family == AF_INET ? reinterpret_cast<sockaddr_in*>(&ss)->sin_port
                                         : reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
}

int connect_to(const std::string& address, std::uint16_t port) {
    sockaddr_storage ss;
    const socklen_t len = make_address(address, port, ss);
    const int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0)
        throw std::runtime_error("cannot connect to " + address + ": " + std::strerror(errno));
    return fd;
}

int try_connect(const std::string& address, std::uint16_t port) {
    sockaddr_storage ss;
    const socklen_t len = make_address(address, port, ss);
    const int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -errno;
    if (connect(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) {
        const int err = errno;
        close(fd);
        return -err;
    }
    return fd;
}

int accept_one(int listener) { return accept4(listener, nullptr, nullptr, SOCK_CLOEXEC); }

void set_int_option(int fd, int level, int name, int value) {
    if (setsockopt(fd, level, name, &value, sizeof value) != 0)
        throw std::runtime_error(std::string("setsockopt: ") + std::strerror(errno));
}

int get_int_option(int fd, int level, int name) {
    int v = -1;
    socklen_t len = sizeof v;
    getsockopt(fd, level, name, &v, &len);
    return v;
}

void set_keepalive(int fd, int idle, int interval, int count) {
    set_int_option(fd, IPPROTO_TCP, TCP_KEEPIDLE, idle);
    set_int_option(fd, IPPROTO_TCP, TCP_KEEPINTVL, interval);
    set_int_option(fd, IPPROTO_TCP, TCP_KEEPCNT, count);
    set_int_option(fd, SOL_SOCKET, SO_KEEPALIVE, 1);
}

}  // namespace kt::test
