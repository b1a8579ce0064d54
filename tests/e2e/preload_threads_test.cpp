// The preload library under threads: 16 threads open, connect and close sockets at once with
// fd numbers reused all the time, half of them setting their own values, while 4 threads
// accept. Every socket ends with the values the rules say, read from outside; errno is
// preserved; an fd above the tracked range gets the profile whole (it is documented so).
#include <gtest/gtest.h>
#include <poll.h>
#include <unistd.h>

#include <map>
#include <nlohmann/json.hpp>

#include "support/netns.hpp"
#include "support/run_binary.hpp"
#include "support/temp_dir.hpp"

namespace kt::test {
namespace {

struct Storm {
    std::string done_line;
    nlohmann::json sockets;
};

// Runs `argv` (the target under keepalive-tune exec, or under a hand-set LD_PRELOAD) until it
// says "done", then reads its sockets from outside.
Storm run_storm(const std::vector<std::string>& argv) {
    int out[2];
    if (pipe(out) != 0) return {};
    ChildProcess child([&](int) {
        dup2(out[1], 1);
        close(out[0]);
        std::vector<char*> a;
        for (const auto& s : argv) a.push_back(const_cast<char*>(s.c_str()));
        a.push_back(nullptr);
        execv(a[0], a.data());
        _exit(127);
    });
    close(out[1]);
    std::string text;
    for (int i = 0; i < 300 && text.find("done ") == std::string::npos; ++i) {
        pollfd p{out[0], POLLIN, 0};
        if (poll(&p, 1, 100) != 1) continue;
        char buf[256];
        const ssize_t n = read(out[0], buf, sizeof buf);
        if (n <= 0) break;
        text.append(buf, static_cast<std::size_t>(n));
    }
    close(out[0]);
    Storm s;
    const auto at = text.find("done ");
    if (at == std::string::npos) return s;
    s.done_line = text.substr(at, text.find('\n', at) - at);
    const auto r = run_tool({"--json", "inspect", "--exact", "--pid", std::to_string(child.pid())});
    if (r.exit_code == 0) s.sockets = nlohmann::json::parse(r.out)["sockets"];
    return s;
}

// idle/interval of each socket by role, as "41/11" -> count.
std::map<std::string, std::map<std::string, int>> tally(const nlohmann::json& sockets) {
    std::map<std::string, std::map<std::string, int>> t;
    for (const auto& s : sockets) {
        const auto& e = s["exact"];
        if (!e.contains("idle_seconds")) continue;
        t[s["role"]][std::to_string(e["idle_seconds"].get<int>()) + "/" + std::to_string(e["interval_seconds"].get<int>()) + "/" +
                     std::to_string(e["count"].get<int>())]++;
    }
    return t;
}

TEST(PreloadThreadsTest, SixteenThreadsGetExactlyTheValuesTheRulesSay) {
    if (geteuid() != 0) GTEST_SKIP() << "reading the target's sockets from outside and raising its fd limit need root";
    TempDir d;
    const auto profile = d.write_profile("storm", 41, 11, 5);
    const auto s = run_storm({tool_path(), "exec", profile, "--", KT_PRELOAD_THREADS});
    ASSERT_EQ(s.done_line, "done 0") << "errno was not preserved (or the target did not finish)";
    auto t = tally(s.sockets);
    EXPECT_EQ(t["listener"], (std::map<std::string, int>{{"41/11/5", 1}}));
    // Even threads: the profile. Odd threads: their own idle (99, before connect) and interval
    // (7, after), the profile's count.
    EXPECT_EQ(t["upstream"]["41/11/5"], 8 * 4) << s.sockets.dump();
    EXPECT_EQ(t["upstream"]["99/7/5"], 8 * 4);
    EXPECT_EQ(t["upstream"].size(), 2u);
    // Accepted connections inherit the listener's values.
    ASSERT_EQ(t["accepted"].size(), 1u) << s.sockets.dump();
    EXPECT_EQ(t["accepted"].begin()->first, "41/11/5");
    EXPECT_GE(t["accepted"].begin()->second, 16 * 4);
}

TEST(PreloadThreadsTest, WithEnforceEverySocketCarriesTheProfile) {
    if (geteuid() != 0) GTEST_SKIP() << "reading the target's sockets from outside and raising its fd limit need root";
    TempDir d;
    const auto profile = d.write_profile("storm", 41, 11, 5);
    const auto s = run_storm({tool_path(), "exec", profile, "--enforce", "--", KT_PRELOAD_THREADS});
    ASSERT_EQ(s.done_line, "done 0");
    auto t = tally(s.sockets);
    EXPECT_EQ(t["upstream"], (std::map<std::string, int>{{"41/11/5", 16 * 4}})) << s.sockets.dump();
    EXPECT_EQ(t["listener"], (std::map<std::string, int>{{"41/11/5", 1}}));
}

// An fd at or above the tracked range (1024 in this build of the library; 65536 in the real
// one): what the program set on it is not known, so the profile goes on whole, as with
// --enforce. The same storm, with the tracked sockets as before.
TEST(PreloadThreadsTest, AnFdAboveTheTrackedRangeGetsTheWholeProfile) {
    if (geteuid() != 0) GTEST_SKIP() << "reading the target's sockets from outside needs root";
    const auto s = run_storm({"/usr/bin/env", std::string("LD_PRELOAD=") + KT_PRELOAD_LIBRARY_SMALL,
                              "KEEPALIVE_TUNE_PRELOAD=v1 keepalive=1 idle=41 interval=11 count=5 "
                              "roles=listener,upstream enforce=0",
                              KT_PRELOAD_THREADS, "1500"});
    ASSERT_EQ(s.done_line, "done 0");
    bool seen = false;
    for (const auto& sock : s.sockets)
        if (sock["process"]["fd"] == 1500) {
            seen = true;
            EXPECT_EQ(sock["exact"]["idle_seconds"], 41) << "its own 99 is not known to the library";
            EXPECT_EQ(sock["exact"]["interval_seconds"], 11);
        }
    EXPECT_TRUE(seen) << s.sockets.dump();
    // The storm's accepted connections push most fds past 1024 in this build; those below it
    // (at least the one the target opens before the storm) still keep what their threads set.
    auto t = tally(s.sockets);
    EXPECT_GT(t["upstream"]["99/7/5"], 0) << "tracked fds keep the program's own values";
    for (const auto& sock : s.sockets)
        if (sock["role"] == "upstream" && sock["process"]["fd"].get<int>() >= 1024) {
            EXPECT_EQ(sock["exact"]["idle_seconds"], 41) << sock["process"]["fd"];
        }
}

}  // namespace
}  // namespace kt::test
