// undo runs as root from scripts: its file is input, checked whole before anything changes,
// and its report counts what really happened.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <set>

#include "support/netns.hpp"
#include "support/run_binary.hpp"
#include "support/target_process.hpp"
#include "support/temp_dir.hpp"

namespace kt::test {
namespace {

const std::string k_keepalive_sysctls =
    "sysctl -n net.ipv4.tcp_keepalive_time net.ipv4.tcp_keepalive_intvl net.ipv4.tcp_keepalive_probes";

std::string sysctl_entry(const TestNetns& ns, const std::string& name, const std::string& value) {
    struct stat st {};
    stat(("/run/netns/" + ns.name()).c_str(), &st);
    return R"({"netns": ")" + ns.name() + R"(", "netns_path": "/run/netns/)" + ns.name() +
           R"(", "netns_inode": )" + std::to_string(st.st_ino) + R"(, "name": ")" + name + R"(", "value": )" + value + "}";
}

std::string undo_file(const std::string& sockets, const std::string& sysctls) {
    return R"({"schema": "keepalive-tune.undo.v2", "profile": "x", "sockets": [)" + sockets + R"(], "sysctls": [)" +
           sysctls + "]}";
}

void expect_refused(const RunResult& r, const std::string& error) {
    EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
    EXPECT_EQ(r.out, "");
    EXPECT_TRUE(r.err.starts_with("keepalive-tune: error: ")) << r.err;
    EXPECT_NE(r.err.find(error), std::string::npos) << "want: " << error << "\ngot: " << r.err;
}

// Before: tcp_keepalive_time=0 and _intvl=-5 were written and reported "restored", and a
// failed write of ip_local_port_range made the summary read 18446744073709551615 sockets.
TEST(UndoKernelTest, AFileWithAnyEntryApplyCouldNotHaveWrittenChangesNothing) {
    KT_REQUIRE_KERNEL_TESTS();
    TempDir d;
    TestNetns ns;
    ASSERT_TRUE(ns.ok());
    const std::string valid = sysctl_entry(ns, "net.ipv4.tcp_keepalive_time", "100");
    const std::vector<std::pair<std::string, std::string>> cases = {
        {valid + "," + sysctl_entry(ns, "net.ipv4.ip_local_port_range", "1000"), "/sysctls/1/name"},
        {valid + "," + sysctl_entry(ns, "kernel.panic", "1"), "/sysctls/1/name"},
        {valid + "," + sysctl_entry(ns, "net.ipv4.tcp_keepalive_intvl", "-5"), "/sysctls/1/value"},
        {sysctl_entry(ns, "net.ipv4.tcp_keepalive_time", "0") + "," + valid, "/sysctls/0/value"},
        {valid + "," + sysctl_entry(ns, "net.ipv4.tcp_keepalive_probes", "128"), "/sysctls/1/value"},
    };
    for (const auto& [entries, where] : cases) {
        const auto file = d.write("bad.json", undo_file("", entries));
        expect_refused(run_tool({"undo", file}), file + ": " + where);
        // The valid entry before the bad one was not written either.
        EXPECT_EQ(ns.exec(k_keepalive_sysctls), "7200\n75\n9\n") << where;
    }
    // The file of the finding, in schema v1 with string values.
    struct stat st {};
    stat(("/run/netns/" + ns.name()).c_str(), &st);
    const std::string p = "/run/netns/" + ns.name(), ino = std::to_string(st.st_ino);
    const auto v1 = d.write("v1.json", R"({"profile":"x","schema":"keepalive-tune.undo.v1","sockets":[],"sysctls":[
        {"name":"net.ipv4.tcp_keepalive_time","netns_inode":)" + ino + R"(,"netns_path":")" + p + R"(","value":"0"},
        {"name":"net.ipv4.ip_local_port_range","netns_inode":)" + ino + R"(,"netns_path":")" + p + R"(","value":"1000 1001"}]})");
    expect_refused(run_tool({"undo", v1}), v1 + ": /sysctls/0/value: 0 is out of range 1..32767");
    EXPECT_EQ(ns.exec(k_keepalive_sysctls), "7200\n75\n9\n");
}

TEST(UndoKernelTest, SysctlsAreCountedApartFromSocketsAndNeverUnderflow) {
    KT_REQUIRE_KERNEL_TESTS();
    if (access("/usr/bin/setpriv", X_OK) != 0) GTEST_SKIP() << "needs util-linux's setpriv";
    TempDir d;
    const auto profile = d.write_profile("t", 200, 20, 4);
    const std::string undo = d.path() + "/undo.json";
    {
        TestNetns ns;
        ASSERT_TRUE(ns.ok());
        ASSERT_EQ(run_tool({"apply", profile, "--sysctl", "--netns", ns.name(), "--undo-file", undo}).exit_code, 0);
        struct stat st {};
        ASSERT_EQ(stat(undo.c_str(), &st), 0);
        EXPECT_EQ(st.st_mode & 0777, 0600u) << "undo files hold other users' connections";

        // Root without capabilities cannot enter the namespace: three failures, counted as such.
        auto failed = run_program({"/usr/bin/setpriv", "--inh-caps=-all", "--ambient-caps=-all", "--bounding-set=-all",
                                   tool_path(), "undo", undo});
        EXPECT_EQ(failed.exit_code, 1) << failed.out << failed.err;
        EXPECT_NE(failed.out.find("0 sysctl(s) restored, 0 gone (the namespace no longer exists), 3 failed"),
                  std::string::npos)
            << failed.out;
        EXPECT_EQ(failed.out.find("18446744073709551615"), std::string::npos) << failed.out;
        EXPECT_EQ(failed.out.find("socket(s)"), std::string::npos) << failed.out;
        EXPECT_EQ(ns.exec(k_keepalive_sysctls), "200\n20\n4\n");

        auto u = run_tool({"--json", "undo", undo});
        ASSERT_EQ(u.exit_code, 0) << u.out << u.err;
        const auto doc = nlohmann::json::parse(u.out);
        EXPECT_EQ(doc["schema"], "keepalive-tune.undo-result.v2");
        EXPECT_EQ(doc["summary"]["sysctls"]["restored"], 3);
        EXPECT_EQ(doc["summary"]["sockets"]["restored"], 0);
        for (const auto& s : doc["sysctls"]) {
            EXPECT_EQ(s["netns"], ns.name()) << s;
            EXPECT_TRUE(s["target"].is_number_integer()) << s;
        }
        EXPECT_EQ(ns.exec(k_keepalive_sysctls), "7200\n75\n9\n");
    }
    // The namespace is gone now.
    auto gone = run_tool({"undo", undo});
    EXPECT_EQ(gone.exit_code, 0) << gone.err;
    EXPECT_NE(gone.out.find("0 sysctl(s) restored, 3 gone (the namespace no longer exists), 0 failed"), std::string::npos)
        << gone.out;
}

// Before: "inode": 0 skipped the guard and changed whatever socket held that fd.
TEST(UndoKernelTest, AZeroInodeIsAMalformedEntryAndTheSocketIsLeftAlone) {
    KT_REQUIRE_KERNEL_TESTS();
    TempDir d;
    TargetProcess target;
    ASSERT_TRUE(target.ok());
    const auto before = target.options();
    const std::string socket = R"({"pid": )" + std::to_string(target.pid()) + R"(, "fd": )" +
                               std::to_string(target.upstream_fd()) + R"(, "inode": 0, "role": "upstream",
        "state": "established", "local": {"address": "127.0.0.1", "port": 1}, "peer": {"address": "127.0.0.1", "port": 2},
        "before": {"so_keepalive": false, "idle_seconds": 100, "interval_seconds": 30, "count": 4, "user_timeout_ms": 0}})";
    const auto file = d.write("zero.json", undo_file(socket, ""));
    expect_refused(run_tool({"undo", file}), file + ": /sockets/0/inode");
    std::string v1 = socket;
    v1.replace(v1.find(R"("role": "upstream")"), 18, R"("listener": false)");
    const auto old = d.write("zero-v1.json", R"({"schema": "keepalive-tune.undo.v1", "sockets": [)" + v1 + R"(], "sysctls": []})");
    expect_refused(run_tool({"undo", old}), old + ": /sockets/0/inode");
    EXPECT_EQ(target.options(), before);
}

// Before: every socket read "*:*", state "unknown", accepted ones "upstream", and "before"
// repeated "target".
TEST(UndoKernelTest, JsonSaysWhichSocketsWereRestoredAndWhatTheyHeldBefore) {
    KT_REQUIRE_KERNEL_TESTS();
    TempDir d;
    const auto profile = d.write_profile("t", 240, 30, 4);
    TargetProcess target;
    ASSERT_TRUE(target.ok());
    const auto original = target.options();
    const std::string undo = d.path() + "/undo.json";
    ASSERT_EQ(run_tool({"apply", profile, "--pid", std::to_string(target.pid()), "--undo-file", undo}).exit_code, 0);
    // verify changes nothing: what a socket holds is "current" there, not "before".
    const auto v = nlohmann::json::parse(run_tool({"--json", "verify", profile, "--pid", std::to_string(target.pid())}).out);
    EXPECT_EQ(v["schema"], "keepalive-tune.verify.v2");
    for (const auto& s : v["sockets"]) {
        EXPECT_FALSE(s.contains("before")) << s;
        EXPECT_EQ(s["current"]["idle_seconds"], 240) << s;
        EXPECT_TRUE(s["local"].is_object()) << s;
    }
    auto u = run_tool({"--json", "undo", undo});
    ASSERT_EQ(u.exit_code, 0) << u.err;
    const auto doc = nlohmann::json::parse(u.out);
    EXPECT_EQ(doc["summary"]["sockets"]["restored"], 3);
    std::set<std::string> roles;
    for (const auto& s : doc["sockets"]) {
        roles.insert(s["role"].get<std::string>());
        EXPECT_EQ(s["local"]["address"], "127.0.0.1") << s;
        EXPECT_EQ(s["before"]["idle_seconds"], 240) << s;
        EXPECT_EQ(s["target"]["idle_seconds"], original[0][1]) << s;
        if (s["role"] == "listener") {
            EXPECT_EQ(s["state"], "listening");
            EXPECT_EQ(s["local"]["port"], target.port());
            EXPECT_EQ(s["peer"]["port"], 0);
        } else {
            EXPECT_EQ(s["state"], "established");
            EXPECT_EQ(s["peer"]["address"], "127.0.0.1") << s;
        }
        if (s["role"] == "accepted") {
            EXPECT_EQ(s["local"]["port"], target.port());
        }
        if (s["role"] == "upstream") {
            EXPECT_EQ(s["peer"]["port"], target.port());
        }
    }
    EXPECT_EQ(roles, (std::set<std::string>{"listener", "accepted", "upstream"}));
    EXPECT_EQ(target.options(), original);
}

}  // namespace
}  // namespace kt::test
