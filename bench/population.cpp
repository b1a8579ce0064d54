#include "population.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <sys/prctl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace kt::bench {

namespace {
// Under the 20,000 fds a process may have here: two per connection and a listener.
constexpr long k_connections_per_worker = 9000;
constexpr int k_time_wait_destinations = 16;

void run(const std::string& command) {
    if (std::system(command.c_str()) != 0) throw std::runtime_error("failed: " + command);
}

void write_sysctl(const std::string& name, const std::string& value) {
    std::ofstream f("/proc/sys/net/" + name);
    f << value;
    if (!f.flush()) throw std::runtime_error("cannot set net." + name);
}

sockaddr_in address(std::uint32_t host_order, std::uint16_t port) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(host_order);
    return a;
}

int listener_at(const sockaddr_in& a) {
    const int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const int one = 1;
    setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (l < 0 || bind(l, reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0 || listen(l, 4096) != 0) _exit(70);
    return l;
}

// In the worker: `n` connections to its own listener, both ends kept open. Reports the count.
long hold_connections(const sockaddr_in& a, long n, int keepalive_every) {
    const int l = listener_at(a);
    long made = 0;
    for (long i = 0; i < n; ++i) {
        const int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (c < 0) break;
        if (keepalive_every > 0 && i % keepalive_every == 0) {
            const int on = 1, idle = 3600;  // armed, but never due during a benchmark
            setsockopt(c, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
            setsockopt(c, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on);
        }
        if (connect(c, reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0 || accept4(l, nullptr, nullptr, SOCK_CLOEXEC) < 0) {
            close(c);
            break;
        }
        ++made;
    }
    return made * 2;
}

// Interrupted (Ctrl-C, SIGTERM): delete the namespace, then die of the signal. Workers and
// TIME_WAIT makers die with this process (PR_SET_PDEATHSIG), so nothing is left running.
char g_netns_to_delete[128];

void delete_netns_and_die(int sig) {
    if (g_netns_to_delete[0]) {
        const pid_t p = fork();
        if (p == 0) {
            execl("/usr/sbin/ip", "ip", "netns", "del", g_netns_to_delete, static_cast<char*>(nullptr));
            execl("/sbin/ip", "ip", "netns", "del", g_netns_to_delete, static_cast<char*>(nullptr));
            _exit(127);
        }
        if (p > 0) waitpid(p, nullptr, 0);
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

// In a child: die when the benchmark does, however it ends.
void die_with_parent() {
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) _exit(73);
}

long read_sockstat(const char* key) {
    std::ifstream f("/proc/net/sockstat");
    std::string line;
    while (std::getline(f, line)) {
        if (!line.starts_with("TCP:")) continue;
        std::istringstream in(line.substr(4));
        std::string k;
        long v = 0;
        while (in >> k >> v)
            if (k == key) return v;
    }
    return -1;
}
}  // namespace

Population::Population(const std::string& name) : m_name(name) {
    if (name.size() >= sizeof g_netns_to_delete) throw std::runtime_error("netns name too long: " + name);
    run("ip netns add " + name);
    std::snprintf(g_netns_to_delete, sizeof g_netns_to_delete, "%s", name.c_str());
    for (int sig : {SIGINT, SIGTERM, SIGHUP}) signal(sig, delete_netns_and_die);
    run("ip -n " + name + " link set lo up");
    m_home_netns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    const int ns = open(("/run/netns/" + name).c_str(), O_RDONLY | O_CLOEXEC);
    if (ns < 0 || setns(ns, CLONE_NEWNET) != 0) {
        std::system(("ip netns del " + name).c_str());
        throw std::runtime_error("cannot enter netns " + name);
    }
    close(ns);
    write_sysctl("ipv4/ip_local_port_range", "1024 65535");
    write_sysctl("ipv4/tcp_max_tw_buckets", "2000000");
    write_sysctl("core/somaxconn", "4096");
    rlimit r{};
    getrlimit(RLIMIT_NOFILE, &r);
    r.rlim_cur = r.rlim_max;
    setrlimit(RLIMIT_NOFILE, &r);
}

Population::~Population() {
    for (pid_t p : m_workers) kill(p, SIGKILL);
    for (pid_t p : m_workers) waitpid(p, nullptr, 0);
    if (m_home_netns >= 0) {
        setns(m_home_netns, CLONE_NEWNET);
        close(m_home_netns);
    }
    std::system(("ip netns del " + m_name + " 2>/dev/null").c_str());
    g_netns_to_delete[0] = '\0';
    for (int sig : {SIGINT, SIGTERM, SIGHUP}) signal(sig, SIG_DFL);
}

Population::Worker Population::spawn_worker(long connections, int keepalive_every) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe");
    // 127.1.x.y: each worker its own destination, so the local port range never runs out.
    const int index = m_next_worker++;
    const auto a = address((127u << 24) | (1u << 16) | (static_cast<std::uint32_t>(index / 250) << 8) |
                               static_cast<std::uint32_t>(index % 250 + 1),
                           8000);
    const pid_t pid = fork();
    if (pid == 0) {
        die_with_parent();
        close(fds[0]);
        const long got = hold_connections(a, connections, keepalive_every);
        if (write(fds[1], &got, sizeof got) != sizeof got) _exit(71);
        for (;;) pause();
    }
    close(fds[1]);
    if (pid < 0) throw std::runtime_error("fork");
    m_workers.push_back(pid);
    return {pid, fds[0]};
}

long Population::wait_ready(Worker w) {
    long got = 0;
    if (read(w.ready_fd, &got, sizeof got) != sizeof got) got = 0;
    close(w.ready_fd);
    return got;
}

long Population::add_established(long sockets, int keepalive_every) {
    long made = 0;
    long connections = sockets / 2;
    // Workers fill two at a time (one per core).
    while (connections > 0) {
        std::vector<Worker> batch;
        for (int k = 0; k < 2 && connections > 0; ++k) {
            const long n = std::min(connections, k_connections_per_worker);
            connections -= n;
            batch.push_back(spawn_worker(n, keepalive_every));
        }
        for (auto& w : batch) made += wait_ready(w);
    }
    return made;
}

void Population::stop_workers() {
    for (pid_t p : m_workers) kill(p, SIGKILL);
    for (pid_t p : m_workers) waitpid(p, nullptr, 0);
    m_workers.clear();
}

long Population::add_time_wait(long count) {
    // One short-lived process per destination; TIME_WAIT outlives them (the kernel owns it).
    std::vector<pid_t> children;
    const long per = (count + k_time_wait_destinations - 1) / k_time_wait_destinations;
    for (int d = 0; d < k_time_wait_destinations; ++d) {
        const long n = std::min(per, count - per * d);
        if (n <= 0) break;
        const pid_t pid = fork();
        if (pid == 0) {
            die_with_parent();
            const auto a = address((127u << 24) | (2u << 16) | static_cast<std::uint32_t>(d + 1), 9000);
            const int l = listener_at(a);
            for (long i = 0; i < n; ++i) {
                const int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
                if (c < 0 || connect(c, reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0) _exit(72);
                const int s = accept4(l, nullptr, nullptr, SOCK_CLOEXEC);
                close(c);  // the client closes first: its side keeps the TIME_WAIT
                close(s);
            }
            _exit(0);
        }
        children.push_back(pid);
        if (children.size() == 2) {  // two at a time, one per core
            for (pid_t p : children) waitpid(p, nullptr, 0);
            children.clear();
        }
    }
    for (pid_t p : children) waitpid(p, nullptr, 0);
    return time_wait_now();
}

pid_t Population::add_single_holder(long connections) {
    auto w = spawn_worker(connections, 0);
    wait_ready(w);
    return w.pid;
}

long Population::sockets_in_use() const { return read_sockstat("inuse"); }
long Population::time_wait_now() const { return read_sockstat("tw"); }

}  // namespace kt::bench
