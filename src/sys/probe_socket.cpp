#include "sys/probe_socket.hpp"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "core/socket/ip_text.hpp"
#include "sys/files.hpp"

namespace kt::sys {

namespace {
socklen_t to_sockaddr(const Endpoint& e, sockaddr_storage& out) {
    std::memset(&out, 0, sizeof out);
    if (e.address.family == k_family_inet) {
        auto* a = reinterpret_cast<sockaddr_in*>(&out);
        a->sin_family = AF_INET;
        a->sin_port = htons(e.port);
        std::memcpy(&a->sin_addr, e.address.bytes.data(), 4);
        return sizeof(sockaddr_in);
    }
    auto* a = reinterpret_cast<sockaddr_in6*>(&out);
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(e.port);
    std::memcpy(&a->sin6_addr, e.address.bytes.data(), 16);
    return sizeof(sockaddr_in6);
}

bool set_int(int fd, int level, int name, int value) { return ::setsockopt(fd, level, name, &value, sizeof value) == 0; }
}  // namespace

Result<Endpoint> resolve_destination(const std::string& text) {
    const auto colon = text.rfind(':');
    if (colon == std::string::npos || colon + 1 == text.size())
        return fail(text, "expected HOST:PORT (10.0.0.9:5432, [2001:db8::1]:443, db.example:5432)");
    std::string host = text.substr(0, colon);
    const std::string port = text.substr(colon + 1);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    char* end = nullptr;
    const unsigned long p = std::strtoul(port.c_str(), &end, 10);
    if (*end || p == 0 || p > 65535) return fail(text, "the port must be 1..65535");
    if (auto ip = parse_ip_address(host)) return Endpoint{*ip, static_cast<std::uint16_t>(p)};
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    if (const int rc = ::getaddrinfo(host.c_str(), nullptr, &hints, &found); rc != 0 || !found)
        return fail(text, std::string("cannot resolve ") + host + ": " + ::gai_strerror(rc));
    Endpoint e;
    e.port = static_cast<std::uint16_t>(p);
    if (found->ai_family == AF_INET) {
        e.address.family = k_family_inet;
        std::memcpy(e.address.bytes.data(), &reinterpret_cast<sockaddr_in*>(found->ai_addr)->sin_addr, 4);
    } else {
        e.address.family = k_family_inet6;
        std::memcpy(e.address.bytes.data(), &reinterpret_cast<sockaddr_in6*>(found->ai_addr)->sin6_addr, 16);
    }
    ::freeaddrinfo(found);
    return e;
}

Result<ProbeSocket> ProbeSocket::open(const NetnsTarget& ns, const Endpoint& to, const std::optional<IpAddress>& from,
                                      std::uint32_t idle_s, std::chrono::milliseconds timeout) {
    const std::string what = "connect to " + endpoint_string(to);
    UniqueFd fd;
    // The socket belongs to the namespace it is created in, wherever it is used afterwards.
    auto made = run_in_netns(ns, [&]() -> Result<void> {
        fd.reset(::socket(to.address.family == k_family_inet ? AF_INET : AF_INET6, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
        if (!fd) return fail(what, "socket: " + errno_text(errno));
        return {};
    });
    if (!made) return std::unexpected(made.error());
    if (!set_int(fd.get(), SOL_SOCKET, SO_KEEPALIVE, 1) || !set_int(fd.get(), IPPROTO_TCP, TCP_KEEPIDLE, static_cast<int>(idle_s)) ||
        !set_int(fd.get(), IPPROTO_TCP, TCP_KEEPINTVL, 1) || !set_int(fd.get(), IPPROTO_TCP, TCP_KEEPCNT, 3))
        return fail(what, "setsockopt: " + errno_text(errno));
    sockaddr_storage sa;
    if (from) {
        const socklen_t len = to_sockaddr(Endpoint{*from, 0}, sa);
        if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&sa), len) != 0) {
            const int err = errno;
            return std::unexpected(Error{"--from " + ip_string(*from), "bind: " + errno_text(err), err});
        }
    }
    const socklen_t len = to_sockaddr(to, sa);
    if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&sa), len) != 0 && errno != EINPROGRESS) {
        const int err = errno;
        return std::unexpected(Error{what, errno_text(err), err});
    }
    pollfd p{fd.get(), POLLOUT, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(timeout.count()));
    int err = 0;
    socklen_t elen = sizeof err;
    if (ready == 0) return std::unexpected(Error{what, "no answer within " + std::to_string(timeout.count()) + " ms", ETIMEDOUT});
    if (ready < 0 || ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &elen) != 0) err = errno;
    if (err != 0) return std::unexpected(Error{what, errno_text(err), err});
    sockaddr_storage local{};
    socklen_t llen = sizeof local;
    ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&local), &llen);
    const std::uint16_t port = ntohs(local.ss_family == AF_INET ? reinterpret_cast<sockaddr_in*>(&local)->sin_port
                                                                : reinterpret_cast<sockaddr_in6*>(&local)->sin6_port);
    return ProbeSocket(std::move(fd), port);
}

ProbeSample ProbeSocket::sample() const {
    ProbeSample s;
    tcp_info info{};
    socklen_t len = sizeof info;
    if (::getsockopt(m_fd.get(), IPPROTO_TCP, TCP_INFO, &info, &len) == 0) {
        s.state = info.tcpi_state;
        s.probes = info.tcpi_probes;
        s.last_ack_recv_ms = info.tcpi_last_ack_recv;
    }
    // Reading SO_ERROR clears it: remember it in the sample the caller keeps.
    int err = 0;
    socklen_t elen = sizeof err;
    if (::getsockopt(m_fd.get(), SOL_SOCKET, SO_ERROR, &err, &elen) == 0) s.error = err;
    return s;
}

}  // namespace kt::sys
