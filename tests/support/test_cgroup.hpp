// A cgroup v2 directory made for a test: processes started in it, killed by PID, its enforce
// pins removed and the directory removed when the test ends.
#pragma once

#include <sys/types.h>
#include <unistd.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "support/netns.hpp"
#include "sys/target_processes.hpp"

// Skips without root, without the BPF engine in the build, or without a writable cgroup2.
#define KT_REQUIRE_ENFORCE()                                                                   \
    do {                                                                                       \
        KT_REQUIRE_KERNEL_TESTS();                                                             \
        if (!KT_BPF_BUILT) GTEST_SKIP() << "built without the BPF engine (KT_BPF=OFF)";        \
        if (access((kt::sys::cgroup2_mount() + "/cgroup.procs").c_str(), W_OK) != 0)            \
            GTEST_SKIP() << "needs a writable cgroup v2 hierarchy at " << kt::sys::cgroup2_mount(); \
    } while (0)

namespace kt::test {

// The exact values of process `pid`'s one upstream socket, read from outside through
// pidfd_getfd: so_keepalive, idle_seconds, interval_seconds, count, user_timeout_ms.
nlohmann::json upstream_values(pid_t pid);

class TestCgroup {
public:
    // "kt-enforce-PID-N" at the top of the cgroup2 hierarchy.
    TestCgroup() : TestCgroup("") {}
    // One inside `parent` (destroyed before it, as declared after it).
    explicit TestCgroup(const TestCgroup& parent) : TestCgroup(parent.name() + "/") {}
    // "PREFIXkt-enforce-PID-N".
    explicit TestCgroup(const std::string& prefix);
    // `name` exactly, inside `parent`.
    TestCgroup(const TestCgroup& parent, const std::string& name);
    ~TestCgroup();

    bool ok() const { return m_ok; }
    const std::string& path() const { return m_path; }  // absolute
    const std::string& name() const { return m_name; }  // below the cgroup2 root
    bool remove_dir();
    // Makes the directory again after remove_dir() (a restarted unit).
    bool make_again();

    // Starts `program PORT [OWN_IDLE]` inside the cgroup; returns its pid and the local port
    // of its connection, or {-1, 0} when it did not connect within 5 s.
    std::pair<pid_t, std::uint16_t> start_client(const std::string& program, std::uint16_t port,
                                                 const std::string& own_idle = "");
    // Kills the processes started so far, by PID.
    void kill_clients();

private:
    void make(const std::string& name);
    std::string m_name, m_path;
    bool m_ok = false;
    std::vector<pid_t> m_pids;
};

}  // namespace kt::test
