// A socket population for benchmarks, in a network namespace of its own: established loopback
// connections spread over 127.0.0.0/8 and held by several processes (the per-process fd limit
// here is 20,000), some with keepalive on, and TIME_WAIT sockets made on demand. Everything is
// removed by the destructor: workers are killed by PID and reaped, the namespace is deleted.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace kt::bench {

class Population {
public:
    // Creates the namespace and moves this process into it, so the commands it starts see it.
    explicit Population(const std::string& name);
    ~Population();
    Population(const Population&) = delete;
    Population& operator=(const Population&) = delete;

    const std::string& netns() const { return m_name; }
    // The worker processes holding the established sockets (apply and verify target them by
    // pid: the benchmark may run under any process name).
    const std::vector<pid_t>& workers() const { return m_workers; }

    // Adds `sockets` established sockets (both ends of sockets/2 connections), every
    // `keepalive_every`-th client with SO_KEEPALIVE on. Returns the number made.
    long add_established(long sockets, int keepalive_every);
    // Adds `count` sockets in TIME_WAIT (client-side closes toward 16 destinations). They last
    // 60 s. Returns the namespace's TIME_WAIT count afterwards (/proc/net/sockstat).
    long add_time_wait(long count);
    // Kills the workers at once (their sockets all close), reaps them and forgets them.
    void stop_workers();
    // One process holding `connections` connections (both ends): for apply/verify timing.
    pid_t add_single_holder(long connections);

    // /proc/net/sockstat of the namespace: TCP inuse and tw.
    long sockets_in_use() const;
    long time_wait_now() const;

private:
    struct Worker {
        pid_t pid;
        int ready_fd;  // the worker writes how many sockets it holds, once they are up
    };
    Worker spawn_worker(long connections, int keepalive_every);
    static long wait_ready(Worker w);
    std::string m_name;
    int m_home_netns = -1;
    std::vector<pid_t> m_workers;
    int m_next_worker = 0;
};

}  // namespace kt::bench
