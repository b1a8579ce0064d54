// The BPF engine against the pidfd engine and against the target's own view: exact values,
// inherited ones, connections still in an accept queue, apply, verify and undo.
#include <gtest/gtest.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "support/netns.hpp"
#include "support/run_binary.hpp"
#include "support/sockets.hpp"
#include "support/target_process.hpp"
#include "support/temp_dir.hpp"

namespace kt::test {
namespace {

const Options k_profile{1, 2, 1, 3, 4000};
const Options k_upstream_before{1, 100, 10, 5, 777};

// inode -> the "exact" object of `inspect --json --exact` for the sockets of `pid`.
std::map<std::uint64_t, nlohmann::json> exact_by_inode(const std::string& engine, pid_t pid) {
    auto r = run_tool({"--json", "inspect", "--exact", "--engine", engine, "--pid", std::to_string(pid)});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.err, "");
    std::map<std::uint64_t, nlohmann::json> out;
    const auto doc = nlohmann::json::parse(r.out);
    EXPECT_EQ(doc["engine"], engine);
    for (const auto& s : doc["sockets"]) out[s["inode"].get<std::uint64_t>()] = s["exact"];
    return out;
}

// Each read of the iterator takes some 32 KiB of records (about 290 sockets); a socket whose
// record did not fit is shown again by the next read. Its writes must run once and it must be
// reported changed, not lost from the pass.
TEST(BpfEngineTest, EverySocketOfAPassLongerThanOneReadIsReportedChanged) {
    KT_REQUIRE_BPF_ENGINE();
    TestNetns ns;
    ASSERT_TRUE(ns.ok());
    TempDir d;
    const auto profile = d.write_profile("many", 40, 4, 4);
    TargetProcess target("127.0.0.1", ns.name());
    ASSERT_TRUE(target.ok());
    ASSERT_EQ(target.connect_many(450, false), 450);  // 900 sockets and more: within 1024 fds
    auto r = run_tool({"--json", "apply", profile, "--pid", std::to_string(target.pid()), "--engine", "bpf"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto doc = nlohmann::json::parse(r.out);
    const auto summary = doc["summary"];
    EXPECT_GE(summary["changed"].get<int>(), 900) << summary.dump();
    EXPECT_EQ(summary["gone"], 0) << summary.dump();
    EXPECT_EQ(summary["failed"], 0) << summary.dump();
    auto v = run_tool({"verify", profile, "--pid", std::to_string(target.pid()), "--engine", "bpf"});
    EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
}

// The BPF engine finds its targets in its own read pass, whose records carry what the pidfd
// engine gets from a sock_diag dump: the same sockets with the same roles, tuples, states and
// timers, so verify says the same of each. The upstream socket's keepalive timer is armed for
// its own 100 s, later than the profile's 60 s idle; the accepted ones have no timer.
TEST(BpfEngineTest, BothEnginesFindTheSameTargetsWithTheirRolesAndTimers) {
    KT_REQUIRE_BPF_ENGINE();
    TempDir d;
    const auto profile = d.write_profile("sixty", 60, 10, 3);
    TargetProcess target("127.0.0.1", "", k_upstream_before);
    ASSERT_TRUE(target.ok());
    ASSERT_EQ(target.connect_many(4, false), 4);
    auto targets = [&](const std::string& engine) {
        auto r = run_tool({"--json", "verify", profile, "--pid", std::to_string(target.pid()), "--engine", engine});
        EXPECT_EQ(r.exit_code, 1) << r.err;  // drift: nothing carries the profile
        std::map<std::uint64_t, nlohmann::json> out;
        const auto doc = nlohmann::json::parse(r.out);
        EXPECT_EQ(doc["engine"], engine);
        for (auto s : doc["sockets"]) {
            // The time left on a timer moves between the two runs; what is said of it does not.
            nlohmann::json notes = nlohmann::json::array();
            for (const auto& n : s["notes"]) {
                std::string text = n.get<std::string>();
                notes.push_back(text.substr(0, text.find(" due in ")));
            }
            out[s["inode"].get<std::uint64_t>()] = {s["pid"], s["fd"], s["role"], s["state"], s["local"], s["peer"], notes};
        }
        return out;
    };
    const auto bpf = targets("bpf");
    const auto pidfd = targets("pidfd");
    ASSERT_EQ(pidfd.size(), 11u);  // the listener, 5 accepted and 5 upstream
    EXPECT_EQ(bpf, pidfd);
    std::map<std::string, int> said;
    for (const auto& [inode, t] : bpf)
        for (const auto& n : t[6]) ++said[t[2].get<std::string>() + ": " + n.get<std::string>()];
    EXPECT_EQ(said["upstream: keepalive timer"], 1) << nlohmann::json(said).dump();
    EXPECT_EQ(said["accepted: no keepalive timer armed"], 5) << nlohmann::json(said).dump();
}

TEST(BpfEngineTest, BothEnginesReadTheSameValuesAndOnlyBpfTellsWhichAreInherited) {
    KT_REQUIRE_BPF_ENGINE();
    TargetProcess target("127.0.0.1", "", k_upstream_before);
    ASSERT_TRUE(target.ok());
    const auto bpf = exact_by_inode("bpf", target.pid());
    const auto pidfd = exact_by_inode("pidfd", target.pid());
    ASSERT_EQ(bpf.size(), 3u);
    ASSERT_EQ(pidfd.size(), 3u);
    std::size_t set_on_socket = 0, inherited_everything = 0;
    for (const auto& [inode, values] : pidfd) {
        ASSERT_TRUE(bpf.count(inode)) << inode;
        auto b = bpf.at(inode);
        EXPECT_TRUE(values["inherited"].is_null());
        ASSERT_TRUE(b["inherited"].is_array());
        const auto inherited = b["inherited"];
        b.erase("inherited");
        auto p = values;
        p.erase("inherited");
        EXPECT_EQ(b, p) << inode;
        if (inherited.empty()) ++set_on_socket;
        if (inherited == nlohmann::json{"idle_seconds", "interval_seconds", "count"}) ++inherited_everything;
    }
    // The upstream socket set idle, interval and count itself; the listener and the accepted
    // socket never did.
    EXPECT_EQ(set_on_socket, 1u);
    EXPECT_EQ(inherited_everything, 2u);
    // The table marks inherited values.
    auto t = run_tool({"inspect", "--exact", "--engine", "bpf", "--pid", std::to_string(target.pid())});
    EXPECT_NE(t.out.find("7200*"), std::string::npos) << t.out;
    EXPECT_NE(t.out.find(" 100 "), std::string::npos) << t.out;
    EXPECT_NE(t.out.find("\n* not set on the socket: the network namespace's net.ipv4.tcp_keepalive_* applies\n"),
              std::string::npos)
        << t.out;
    // pidfd cannot tell, marks nothing and so explains nothing.
    auto p = run_tool({"inspect", "--exact", "--engine", "pidfd", "--pid", std::to_string(target.pid())});
    EXPECT_EQ(p.out.find("* not set on the socket"), std::string::npos) << p.out;
}

// Keepalive times are jiffies in the kernel. Where libbpf finds no kernel config, it reports
// CONFIG_HZ as 0 and the engine measures HZ on a socket of its own: the values read are the
// same. The config files are hidden behind /dev/null in a mount namespace of this test's own.
TEST(BpfEngineTest, HzIsMeasuredWhereTheKernelConfigCannotBeRead) {
    KT_REQUIRE_BPF_ENGINE();
    utsname u{};
    ASSERT_EQ(uname(&u), 0);
    std::vector<std::string> configs;
    for (std::string f : {std::string("/boot/config-") + u.release, std::string("/proc/config.gz")})
        if (access(f.c_str(), F_OK) == 0) configs.push_back(f);
    if (configs.empty()) GTEST_SKIP() << "no kernel config here: every run already measures HZ";
    TargetProcess target("127.0.0.1", "", k_upstream_before);
    ASSERT_TRUE(target.ok());
    const auto from_config = exact_by_inode("bpf", target.pid());
    ASSERT_EQ(from_config.size(), 3u);

    // One process per test: the mount namespace ends with it.
    ASSERT_EQ(unshare(CLONE_NEWNS), 0) << strerror(errno);
    ASSERT_EQ(mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr), 0) << strerror(errno);
    for (const auto& f : configs) ASSERT_EQ(mount("/dev/null", f.c_str(), nullptr, MS_BIND, nullptr), 0) << f;
    const auto measured = exact_by_inode("bpf", target.pid());
    EXPECT_EQ(measured, from_config);
    bool upstream_seen = false;
    for (const auto& [inode, values] : measured)
        if (values["idle_seconds"] == 100) upstream_seen = true;
    EXPECT_TRUE(upstream_seen) << "the upstream socket's own TCP_KEEPIDLE 100";

    // apply reads through the full-record program, which measures HZ the same way: the dry
    // run finds the upstream socket's own idle 100 before the change.
    TempDir d;
    const auto profile = d.write_profile("t", 2, 1, 3, 4000);
    const auto plan = run_tool({"--json", "apply", profile, "--pid", std::to_string(target.pid()), "--engine", "bpf",
                                "--dry-run"});
    ASSERT_EQ(plan.exit_code, 0) << plan.err;
    bool planned_seen = false;
    const auto planned = nlohmann::json::parse(plan.out);
    for (const auto& s : planned["sockets"])
        if (s["before"].is_object() && s["before"]["idle_seconds"] == 100) planned_seen = true;
    EXPECT_TRUE(planned_seen) << plan.out;
}

TEST(BpfEngineTest, AConnectionWaitingInTheAcceptQueueGetsTheProfileAndUndoPutsItBack) {
    KT_REQUIRE_BPF_ENGINE();
    TempDir d;
    const auto profile = d.write_profile("t", 2, 1, 3, 4000);
    TargetProcess target;
    ASSERT_TRUE(target.ok());
    const auto before = target.options();
    const Options untouched = before[2];  // an accepted socket nobody configured
    const int waiting = connect_to("127.0.0.1", target.port());  // the target has not accepted it
    ASSERT_GE(waiting, 0);
    usleep(100 * 1000);

    // pidfd cannot reach it: 3 sockets. BPF: 4, one of them queued.
    auto dry = run_tool({"--json", "apply", profile, "--pid", std::to_string(target.pid()), "--engine", "pidfd", "--dry-run"});
    ASSERT_EQ(dry.exit_code, 0) << dry.err;
    EXPECT_EQ(nlohmann::json::parse(dry.out)["sockets"].size(), 3u);

    const std::string undo = d.path() + "/undo.json";
    auto r = run_tool({"--json", "apply", profile, "--pid", std::to_string(target.pid()), "--engine", "bpf",
                       "--undo-file", undo});
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    const auto doc = nlohmann::json::parse(r.out);
    EXPECT_EQ(doc["engine"], "bpf");
    EXPECT_EQ(doc["summary"]["changed"], 4);
    std::size_t queued = 0;
    for (const auto& s : doc["sockets"])
        if (s["fd"].is_null()) {
            ++queued;
            EXPECT_EQ(s["role"], "accepted");
            EXPECT_EQ(s["inode"], 0);
            EXPECT_EQ(s["peer"]["port"], local_port(waiting));
            EXPECT_EQ(s["result"], "changed");
        }
    EXPECT_EQ(queued, 1u);

    auto v = run_tool({"verify", profile, "--pid", std::to_string(target.pid()), "--engine", "bpf"});
    EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
    EXPECT_NE(v.out.find("all 4 socket(s)"), std::string::npos) << v.out;

    // Once accepted, the target's own getsockopt sees the profile on it.
    const int accepted = target.accept_pending();
    ASSERT_GE(accepted, 0);
    EXPECT_EQ(target.options_of(accepted), k_profile);
    for (const auto& o : target.options()) EXPECT_EQ(o, k_profile);

    // The undo file found it again by cookie, though it has an fd now.
    auto u = run_tool({"undo", undo, "--engine", "bpf"});
    EXPECT_EQ(u.exit_code, 0) << u.out << u.err;
    EXPECT_NE(u.out.find("4 socket(s) restored"), std::string::npos) << u.out;
    EXPECT_EQ(target.options_of(accepted), untouched);
    EXPECT_EQ(target.options(), before);
    close(waiting);
}

TEST(BpfEngineTest, UndoOfAnApplyPutsBackExactValuesWithEitherEngine) {
    KT_REQUIRE_BPF_ENGINE();
    TempDir d;
    const auto profile = d.write_profile("t", 2, 1, 3, 4000);
    for (const std::string undo_engine : {"bpf", "pidfd"}) {
        TargetProcess target("127.0.0.1", "", k_upstream_before);
        ASSERT_TRUE(target.ok());
        const auto before = target.options();
        const std::string undo = d.path() + "/undo-" + undo_engine + ".json";
        auto r = run_tool({"apply", profile, "--pid", std::to_string(target.pid()), "--engine", "bpf", "--undo-file", undo});
        ASSERT_EQ(r.exit_code, 0) << r.err;
        for (const auto& o : target.options()) EXPECT_EQ(o, k_profile);
        auto u = run_tool({"--json", "undo", undo, "--engine", undo_engine});
        EXPECT_EQ(u.exit_code, 0) << u.out << u.err;
        EXPECT_EQ(nlohmann::json::parse(u.out)["engine"], undo_engine);
        EXPECT_EQ(target.options(), before) << undo_engine;
    }
}

// The iterator reaches a socket by inode, not through the pid the undo file names: undo says
// which process holds each socket now, as the kernel's file table does, not what the file says.
TEST(BpfEngineTest, UndoReportsTheSocketsOwnerNotThePidInTheFile) {
    KT_REQUIRE_BPF_ENGINE();
    TempDir d;
    const auto profile = d.write_profile("t", 2, 1, 3, 4000);
    TargetProcess target("127.0.0.1", "", k_upstream_before);
    ASSERT_TRUE(target.ok());
    const std::string undo = d.path() + "/undo.json";
    auto r = run_tool({"apply", profile, "--pid", std::to_string(target.pid()), "--engine", "bpf", "--undo-file", undo});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::ifstream in(undo);
    auto record = nlohmann::json::parse(in);
    ASSERT_FALSE(record["sockets"].empty());
    for (auto& s : record["sockets"]) s["pid"] = 1;  // inodes unchanged
    const std::string edited = d.write("edited.json", record.dump());
    auto u = run_tool({"--json", "undo", edited, "--engine", "bpf"});
    EXPECT_EQ(u.exit_code, 0) << u.out << u.err;
    const auto doc = nlohmann::json::parse(u.out);
    ASSERT_EQ(doc["sockets"].size(), record["sockets"].size());
    for (const auto& s : doc["sockets"]) {
        EXPECT_EQ(s["result"], "restored") << s;
        EXPECT_EQ(s["pid"], target.pid()) << s;
    }
}

TEST(BpfEngineTest, AQueuedConnectionInTheUndoFileNeedsTheBpfEngine) {
    KT_REQUIRE_BPF_ENGINE();
    TempDir d;
    const auto profile = d.write_profile("t", 2, 1, 3, 4000);
    TargetProcess target;
    ASSERT_TRUE(target.ok());
    const int waiting = connect_to("127.0.0.1", target.port());
    usleep(100 * 1000);
    const std::string undo = d.path() + "/undo.json";
    auto r = run_tool({"apply", profile, "--pid", std::to_string(target.pid()), "--engine", "bpf", "--role", "accepted",
                       "--undo-file", undo});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("queued"), std::string::npos) << r.out;
    auto u = run_tool({"undo", undo, "--engine", "pidfd"});
    EXPECT_EQ(u.exit_code, 1) << u.out;
    EXPECT_NE(u.out.find("run undo --engine bpf"), std::string::npos) << u.out;
    EXPECT_NE(u.out.find("1 socket(s) restored, 0 gone (closed, or the process exited), 1 failed"), std::string::npos)
        << u.out;
    close(waiting);
}

TEST(BpfEngineTest, QueuedConnectionsOfAPortSharedWithAnotherProcessAreLeftAlone) {
    KT_REQUIRE_BPF_ENGINE();
    TempDir d;
    const auto profile = d.write_profile("t", 2, 1, 3, 4000);
    auto reuse_listener = [](std::uint16_t port) {
        const int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        const int one = 1;
        setsockopt(l, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(port);
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (bind(l, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || listen(l, 16) != 0) return -1;
        return l;
    };
    const int mine = reuse_listener(0);
    ASSERT_GE(mine, 0);
    const auto port = local_port(mine);
    int ready[2];
    ASSERT_EQ(pipe(ready), 0);
    const pid_t other = fork();
    if (other == 0) {
        const int l = reuse_listener(port);
        if (write(ready[1], l >= 0 ? "y" : "n", 1) != 1) _exit(1);
        pause();
        _exit(0);
    }
    char c = 0;
    ASSERT_EQ(read(ready[0], &c, 1), 1);
    ASSERT_EQ(c, 'y');
    std::vector<int> clients;
    for (int i = 0; i < 8; ++i) clients.push_back(connect_to("127.0.0.1", port));
    usleep(100 * 1000);
    auto r = run_tool({"--json", "apply", profile, "--pid", std::to_string(getpid()), "--port", std::to_string(port),
                       "--role", "listener,accepted", "--engine", "bpf", "--dry-run"});
    kill(other, SIGKILL);
    waitpid(other, nullptr, 0);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto doc = nlohmann::json::parse(r.out);
    for (const auto& s : doc["sockets"]) EXPECT_FALSE(s["fd"].is_null()) << s;
    EXPECT_NE(doc["notes"].dump().find("listeners of other processes share the port (SO_REUSEPORT)"), std::string::npos)
        << doc["notes"];
    for (int fd : clients) close(fd);
    close(mine);
    close(ready[0]);
    close(ready[1]);
}

// inode -> "process" of inspect --json for the sockets on `port`.
std::map<std::uint64_t, nlohmann::json> owners_by_inode(const std::vector<std::string>& args) {
    auto r = run_tool(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::map<std::uint64_t, nlohmann::json> out;
    const auto doc = nlohmann::json::parse(r.out);
    for (const auto& s : doc["sockets"]) out[s["inode"].get<std::uint64_t>()] = s["process"];
    return out;
}

TEST(BpfEngineTest, OwnersFromTheTaskFileIteratorAreThoseTheProcScanFinds) {
    KT_REQUIRE_BPF_ENGINE();
    TargetProcess target;
    ASSERT_TRUE(target.ok());
    const std::string port = std::to_string(target.port());
    // -p alone takes the BPF task-file pass; --pid reads /proc/PID/fd.
    const auto bpf = owners_by_inode({"--json", "inspect", "-p", "--port", port});
    const auto proc = owners_by_inode({"--json", "inspect", "--pid", std::to_string(target.pid()), "--port", port});
    ASSERT_EQ(bpf.size(), 3u);
    EXPECT_EQ(bpf, proc);
    for (const auto& [inode, owner] : bpf) {
        EXPECT_EQ(owner["pid"], target.pid()) << inode;
        EXPECT_FALSE(owner["comm"].get<std::string>().empty());
    }
}

TEST(BpfEngineTest, EngineIsCheckedAndOnlyTakenWhereItMeansSomething) {
    KT_REQUIRE_KERNEL_TESTS();
    auto r = run_tool({"inspect", "--exact", "--engine", "ebpf"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_EQ(r.err, "keepalive-tune: error: --engine ebpf: must be auto, bpf or pidfd\n");
    r = run_tool({"inspect", "--engine", "bpf"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_EQ(r.err, "keepalive-tune: error: --engine: chooses how --exact reads socket options; give --exact too\n");
}

}  // namespace
}  // namespace kt::test
