// apply against a target that replaces its connections as fast as it can, on the same few fd
// numbers: between apply's scan and its writes the fd numbers it planned are reused by other
// sockets. No socket apply did not plan is ever changed, every "changed" line is true, and
// undo restores exactly what apply changed.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "support/netns.hpp"
#include "support/run_binary.hpp"
#include "support/sockets.hpp"
#include "support/temp_dir.hpp"

namespace kt::test {
namespace {

constexpr int k_slots = 8;
constexpr int k_first_fd = 200;  // the slots: fds 200..207, reused all the time
constexpr int k_own_idle = 1111;  // what the target sets on every socket it makes

struct Record {
    std::uint32_t inode;
    int idle;    // TCP_KEEPIDLE when it was replaced, or at the end
    int at_end;  // still open at the end, after every apply had finished
};

std::uint32_t inode_of(int fd) {
    struct stat st {};
    return fstat(fd, &st) == 0 ? static_cast<std::uint32_t>(st.st_ino) : 0;
}

TEST(ApplyChurnTest, NoUnplannedSocketIsChangedWhileFdNumbersAreReused) {
    KT_REQUIRE_KERNEL_TESTS();
    TestNetns ns;
    ASSERT_TRUE(ns.ok());
    TempDir d;
    const auto profile = d.write_profile("t", 2, 1, 3);
    int l = -1;
    ns.run_inside([&] { l = listen_on("127.0.0.1", 0, 4096); });
    const auto port = local_port(l);
    std::atomic<bool> stop{false};
    std::thread acceptor([&] {
        std::vector<int> held;
        while (!stop && held.size() < 20000) {
            pollfd p{l, POLLIN, 0};
            if (poll(&p, 1, 20) == 1) held.push_back(accept_one(l));
        }
        for (int fd : held) close(fd);
    });

    int results[2], stop_churn[2];
    ASSERT_EQ(pipe(results), 0);
    ASSERT_EQ(pipe2(stop_churn, O_NONBLOCK), 0);
    ChildProcess churn([&](int ready) {
        std::vector<Record> records;
        ns.run_inside([&] {
            bool open[k_slots] = {};
            const int one = 1;
            if (write(ready, &one, sizeof one) != sizeof one) _exit(1);
            // Until the test has seen enough applies (it says so on stop_churn), at most 15 s.
            const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(15);
            char byte = 0;
            for (unsigned n = 0; std::chrono::steady_clock::now() < end && n < 1000000; ++n) {
                if (n % 64 == 0 && read(stop_churn[0], &byte, 1) == 1) break;
                const int slot = static_cast<int>(n % k_slots);
                const int fd = k_first_fd + slot;
                // Half the slots are replaced every round, the other half every 400 rounds: apply
                // always finds sockets that stay long enough to change, and others whose fd
                // numbers are reused under it.
                if (slot >= k_slots / 2 && open[slot] && (n / k_slots) % 400 != 0) continue;
                // The old socket's last values; dup2 below replaces it atomically, so the fd
                // number is never free: a change under apply is always a reuse.
                if (open[slot]) records.push_back({inode_of(fd), get_int_option(fd, IPPROTO_TCP, TCP_KEEPIDLE), 0});
                const int s = socket(AF_INET, SOCK_STREAM, 0);
                set_int_option(s, IPPROTO_TCP, TCP_KEEPIDLE, k_own_idle);
                sockaddr_in a{};
                a.sin_family = AF_INET;
                a.sin_port = htons(port);
                a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
                if (connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) _exit(2);
                dup2(s, fd);  // the same few fd numbers, over and over
                close(s);
                open[slot] = true;
            }
            for (int slot = 0; slot < k_slots; ++slot)
                if (open[slot])
                    records.push_back({inode_of(k_first_fd + slot), get_int_option(k_first_fd + slot, IPPROTO_TCP, TCP_KEEPIDLE), 1});
            const std::uint64_t n = records.size();
            if (write(results[1], &n, sizeof n) != sizeof n) _exit(1);
            for (const auto& r : records)
                if (write(results[1], &r, sizeof r) != sizeof r) _exit(1);
            // Keeps the last sockets open, inside the namespace they live in, until killed.
            for (int i = 0; i < 60; ++i) sleep(1);
        });
        _exit(0);
    });
    ASSERT_EQ(churn.wait_ready(), 1);

    // apply, again and again, while the target churns: at least 2.5 s, and until a planned fd
    // number was seen reused (slow builds, such as the sanitized one, need longer), at most 10 s.
    std::set<std::uint32_t> changed;
    int runs = 0, reused = 0;
    const auto start = std::chrono::steady_clock::now();
    const auto enough = [&] {
        const auto t = std::chrono::steady_clock::now() - start;
        return runs >= 200 || t >= std::chrono::seconds(10) || (t >= std::chrono::milliseconds(2500) && reused > 0);
    };
    while (!enough()) {
        // The fd-reuse race is the pidfd engine's: the BPF engine finds sockets by cookie.
        const auto r = run_tool({"--json", "apply", profile, "--pid", std::to_string(churn.pid()), "--role", "upstream",
                                 "--engine", "pidfd"});
        ++runs;
        if (r.exit_code == 2) continue;  // every socket it found was gone before it could plan
        ASSERT_LE(r.exit_code, 1) << r.err;
        const auto doc = nlohmann::json::parse(r.out);
        for (const auto& s : doc["sockets"]) {
            if (s["result"] == "changed") changed.insert(s["inode"].get<std::uint32_t>());
            if (s["result"] == "gone" && s["error"].get<std::string>().find("is no longer socket") != std::string::npos) ++reused;
        }
    }
    ASSERT_EQ(write(stop_churn[1], "s", 1), 1);
    std::uint64_t n = 0;
    pollfd done{results[0], POLLIN, 0};
    ASSERT_EQ(poll(&done, 1, 10000), 1);
    ASSERT_EQ(read(results[0], &n, sizeof n), static_cast<ssize_t>(sizeof n));
    std::map<std::uint32_t, int> idle_of;
    std::set<std::uint32_t> open_at_end;
    for (std::uint64_t i = 0; i < n; ++i) {
        Record r{};
        std::size_t got = 0;
        while (got < sizeof r) {
            const ssize_t k = read(results[0], reinterpret_cast<char*>(&r) + got, sizeof r - got);
            ASSERT_GT(k, 0);
            got += static_cast<std::size_t>(k);
        }
        idle_of[r.inode] = r.idle;
        if (r.at_end) open_at_end.insert(r.inode);
    }
    std::printf("%d applies, %zu sockets made by the target, %zu changed, %d planned fds reused by another socket before the write\n",
                runs, idle_of.size(), changed.size(), reused);
    EXPECT_GT(idle_of.size(), 100u) << "the target did not churn";
    EXPECT_GT(changed.size(), 0u) << "apply never got a socket: the test proves nothing";
    EXPECT_GT(reused, 0) << "no fd number was reused between a plan and its write: the race was not exercised";
    // Every socket the target saw changed was planned and reported by an apply...
    for (const auto& [inode, idle] : idle_of)
        if (idle != k_own_idle) {
            EXPECT_TRUE(changed.count(inode)) << "socket " << inode << " was changed (idle " << idle << ") but no apply reported it";
        }
    // ...and every "changed" line is true: a socket of the target, which carries the profile
    // where it was still open after the last apply. (One replaced meanwhile may have been read
    // by the target an instant before apply's write reached it through its duplicate.)
    for (const auto inode : changed) {
        ASSERT_TRUE(idle_of.count(inode)) << inode << " is not a socket of the target";
        if (open_at_end.count(inode)) {
            EXPECT_EQ(idle_of[inode], 2) << inode;
        }
    }

    // The last sockets stay open, some already changed by the applies above: an apply with an
    // undo file changes the rest, and undo puts back exactly those.
    const std::string undo = d.path() + "/undo.json";
    const auto last = run_tool({"--json", "apply", profile, "--pid", std::to_string(churn.pid()), "--role", "upstream",
                                "--engine", "pidfd",
                                "--undo-file", undo});
    ASSERT_EQ(last.exit_code, 0) << last.err;
    std::set<std::uint32_t> by_last;
    const auto last_doc = nlohmann::json::parse(last.out);
    for (const auto& s : last_doc["sockets"])
        if (s["result"] == "changed") by_last.insert(s["inode"].get<std::uint32_t>());
    EXPECT_GT(by_last.size(), 0u);
    const auto u = run_tool({"--json", "undo", undo});
    ASSERT_EQ(u.exit_code, 0) << u.err;
    EXPECT_EQ(nlohmann::json::parse(u.out)["summary"]["sockets"]["restored"], by_last.size());
    const auto exact = nlohmann::json::parse(run_tool({"--json", "inspect", "--exact", "--pid", std::to_string(churn.pid()),
                                                       "--role", "upstream"})
                                                 .out);
    ASSERT_EQ(exact["sockets"].size(), static_cast<std::size_t>(k_slots));
    for (const auto& s : exact["sockets"])
        EXPECT_EQ(s["exact"]["idle_seconds"], by_last.count(s["inode"].get<std::uint32_t>()) ? k_own_idle : 2) << s["inode"];
    stop = true;
    acceptor.join();
    close(l);
    for (int fd : {results[0], results[1], stop_churn[0], stop_churn[1]}) close(fd);
}

}  // namespace
}  // namespace kt::test
