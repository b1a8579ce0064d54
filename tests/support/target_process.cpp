#include "support/target_process.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "support/sockets.hpp"

namespace kt::test {

namespace {
Options read_options(int fd) {
    return {get_int_option(fd, SOL_SOCKET, SO_KEEPALIVE) != 0 ? 1 : 0, get_int_option(fd, IPPROTO_TCP, TCP_KEEPIDLE),
            get_int_option(fd, IPPROTO_TCP, TCP_KEEPINTVL), get_int_option(fd, IPPROTO_TCP, TCP_KEEPCNT),
            get_int_option(fd, IPPROTO_TCP, TCP_USER_TIMEOUT)};
}

bool read_exact(int fd, void* buf, std::size_t n) {
    auto* p = static_cast<char*>(buf);
    while (n > 0) {
        pollfd pfd{fd, POLLIN, 0};
        if (poll(&pfd, 1, 5000) != 1) return false;
        const ssize_t r = read(fd, p, n);
        if (r <= 0) return false;
        p += r;
        n -= static_cast<std::size_t>(r);
    }
    return true;
}

void write_all(int fd, const void* buf, std::size_t n) {
    if (write(fd, buf, n) != static_cast<ssize_t>(n)) _exit(3);
}

[[noreturn]] void serve(int cmd, int reply, const std::string& address, const std::string& netns, Options before) {
    if (!netns.empty()) {
        const int nsfd = open(("/run/netns/" + netns).c_str(), O_RDONLY);
        if (nsfd < 0 || setns(nsfd, CLONE_NEWNET) != 0) _exit(2);
    }
    const int l = listen_on(address);
    const std::uint16_t port = local_port(l);
    const int up = connect_to(address, port);
    if (before[0]) set_int_option(up, SOL_SOCKET, SO_KEEPALIVE, 1);
    if (before[1]) set_int_option(up, IPPROTO_TCP, TCP_KEEPIDLE, before[1]);
    if (before[2]) set_int_option(up, IPPROTO_TCP, TCP_KEEPINTVL, before[2]);
    if (before[3]) set_int_option(up, IPPROTO_TCP, TCP_KEEPCNT, before[3]);
    if (before[4]) set_int_option(up, IPPROTO_TCP, TCP_USER_TIMEOUT, before[4]);
    const int acc = accept_one(l);
    const int hello[5] = {port, local_port(up), l, up, acc};
    write_all(reply, hello, sizeof hello);
    std::vector<int> keep;
    for (int i = 0; i < 100000; ++i) {
        char c = 0;
        if (read(cmd, &c, 1) != 1) _exit(0);
        if (c == 'v') {
            Options all[3] = {read_options(l), read_options(up), read_options(acc)};
            write_all(reply, all, sizeof all);
        } else if (c == 'a') {
            keep.push_back(connect_to(address, port));
            keep.push_back(accept_one(l));
            const Options o = read_options(keep.back());
            write_all(reply, &o, sizeof o);
        } else if (c == 'c') {
            keep.push_back(connect_to(address, port));
            keep.push_back(accept_one(l));
            const int fd = keep[keep.size() - 2];
            write_all(reply, &fd, sizeof fd);
        } else if (c == 'm') {
            int req[2] = {0, 0};
            if (!read_exact(cmd, req, sizeof req)) _exit(4);
            int made = 0;
            for (; made < req[0] && made < 5000; ++made) {
                keep.push_back(connect_to(address, port));
                if (req[1]) set_int_option(keep.back(), SOL_SOCKET, SO_KEEPALIVE, 1);
                keep.push_back(accept_one(l));
            }
            write_all(reply, &made, sizeof made);
        } else if (c == 'p') {
            pollfd pfd{l, POLLIN, 0};
            int fd = poll(&pfd, 1, 5000) == 1 ? accept_one(l) : -1;
            if (fd >= 0) keep.push_back(fd);
            write_all(reply, &fd, sizeof fd);
        } else if (c == 'o') {
            int fd = -1;
            if (read(cmd, &fd, sizeof fd) != sizeof fd) _exit(4);
            const Options o = read_options(fd);
            write_all(reply, &o, sizeof o);
        }
    }
    _exit(0);
}
}  // namespace

TargetProcess::TargetProcess(const std::string& address, const std::string& netns, Options upstream_before) {
    int to_child[2], from_child[2];
    if (pipe2(to_child, O_CLOEXEC) != 0 || pipe2(from_child, O_CLOEXEC) != 0) return;
    m_pid = fork();
    if (m_pid == 0) {
        close(to_child[1]);
        close(from_child[0]);
        serve(to_child[0], from_child[1], address, netns, upstream_before);
    }
    close(to_child[0]);
    close(from_child[1]);
    m_cmd = to_child[1];
    m_reply = from_child[0];
    int hello[5];
    if (!read_exact(m_reply, hello, sizeof hello)) return;
    m_port = static_cast<std::uint16_t>(hello[0]);
    m_upstream_port = static_cast<std::uint16_t>(hello[1]);
    m_fds = {hello[2], hello[3], hello[4]};
    m_ok = true;
}

TargetProcess::~TargetProcess() {
    if (m_pid > 0) {
        kill(m_pid, SIGKILL);
        waitpid(m_pid, nullptr, 0);
    }
    if (m_cmd >= 0) close(m_cmd);
    if (m_reply >= 0) close(m_reply);
}

std::vector<Options> TargetProcess::options() {
    Options all[3]{};
    if (write(m_cmd, "v", 1) != 1 || !read_exact(m_reply, all, sizeof all)) return {};
    return {all[0], all[1], all[2]};
}

Options TargetProcess::accept_new() {
    Options o{};
    if (write(m_cmd, "a", 1) != 1 || !read_exact(m_reply, &o, sizeof o)) return {-1, -1, -1, -1, -1};
    return o;
}

int TargetProcess::connect_new() {
    int fd = -1;
    if (write(m_cmd, "c", 1) != 1 || !read_exact(m_reply, &fd, sizeof fd)) return -1;
    return fd;
}

int TargetProcess::accept_pending() {
    int fd = -1;
    if (write(m_cmd, "p", 1) != 1 || !read_exact(m_reply, &fd, sizeof fd)) return -1;
    return fd;
}

int TargetProcess::connect_many(int n, bool keepalive) {
    const int req[2] = {n, keepalive ? 1 : 0};
    int made = -1;
    if (write(m_cmd, "m", 1) != 1 || write(m_cmd, req, sizeof req) != sizeof req || !read_exact(m_reply, &made, sizeof made))
        return -1;
    return made;
}

Options TargetProcess::options_of(int fd) {
    Options o{};
    if (write(m_cmd, "o", 1) != 1 || write(m_cmd, &fd, sizeof fd) != sizeof fd || !read_exact(m_reply, &o, sizeof o))
        return {-1, -1, -1, -1, -1};
    return o;
}

long tcp_ext_counter(const std::string& name) {
    std::ifstream in("/proc/net/netstat");
    std::string header, values;
    while (std::getline(in, header) && std::getline(in, values)) {
        if (!header.starts_with("TcpExt:")) continue;
        std::istringstream h(header), v(values);
        std::string key, value;
        while (h >> key && v >> value)
            if (key == name) return std::stol(value);
    }
    return -1;
}

}  // namespace kt::test
