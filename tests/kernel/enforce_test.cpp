// enforce: new connections of processes in a cgroup get the profile after the loader has
// exited, read back from outside with the pidfd engine; --override-app against Go's own
// values; --remove; pins of a cgroup that is gone, as enforce --list and check report them.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "support/netns.hpp"
#include "support/run_binary.hpp"
#include "support/sockets.hpp"
#include "support/temp_dir.hpp"
#include "support/test_cgroup.hpp"
#include "sys/target_processes.hpp"

namespace kt::test {
namespace {

nlohmann::json values(bool on, int idle, int interval, int count, int uto) {
    return {{"so_keepalive", on}, {"idle_seconds", idle}, {"interval_seconds", interval}, {"count", count}, {"user_timeout_ms", uto}};
}

nlohmann::json listed(const std::string& cgroup) {
    auto r = run_tool({"--json", "enforce", "--list"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    const auto doc = nlohmann::json::parse(r.out);
    for (const auto& e : doc["enforced"])
        if (e["cgroup"] == cgroup) return e;
    return {};
}

TEST(EnforceTest, NewConnectionsOfDynamicAndStaticClientsGetTheProfileAfterEnforceHasExited) {
    KT_REQUIRE_ENFORCE();
    TempDir d;
    const auto profile = d.write_profile("t", 41, 7, 5, 12345);
    TestCgroup cg;
    ASSERT_TRUE(cg.ok());
    const int l = listen_on("127.0.0.1");
    const auto port = local_port(l);
    auto [before_pid, before_port] = cg.start_client(KT_ENFORCE_CLIENT, port);
    ASSERT_GT(before_pid, 0);

    auto r = run_tool({"enforce", profile, "--cgroup", cg.name()});
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("attached: profile t (41/7/5) on new listener,accepted,upstream connections of " + cg.path()),
              std::string::npos)
        << r.out;
    EXPECT_EQ(listed(cg.path())["cgroup_exists"], true);

    const auto dynamic = cg.start_client(KT_ENFORCE_CLIENT, port);
    const auto fixed = cg.start_client(KT_ENFORCE_CLIENT_STATIC, port);
    ASSERT_GT(dynamic.first, 0);
    ASSERT_GT(fixed.first, 0);
    EXPECT_EQ(upstream_values(dynamic.first), values(true, 41, 7, 5, 12345));
    EXPECT_EQ(upstream_values(fixed.first), values(true, 41, 7, 5, 12345));
    // A connection made before keeps its values; the test's own accepted sides are not in the cgroup.
    EXPECT_EQ(upstream_values(before_pid)["so_keepalive"], false);
    for (int i = 0; i < 3; ++i) {
        const int a = accept_one(l);
        EXPECT_EQ(get_int_option(a, SOL_SOCKET, SO_KEEPALIVE), 0);
        close(a);
    }
    EXPECT_EQ(listed(cg.path())["connections"]["applied"], 2);

    auto rm = run_tool({"enforce", "--remove", "--cgroup", cg.name()});
    EXPECT_EQ(rm.exit_code, 0) << rm.err;
    EXPECT_TRUE(listed(cg.path()).is_null());
    const auto after = cg.start_client(KT_ENFORCE_CLIENT, port);
    ASSERT_GT(after.first, 0);
    EXPECT_EQ(upstream_values(after.first)["so_keepalive"], false);
    close(l);
}

TEST(EnforceTest, GoOverwritesTheProfileUnlessOverrideAppReplacesItsValues) {
    KT_REQUIRE_ENFORCE();
    if (std::string(KT_ENFORCE_GO_CLIENT).empty()) GTEST_SKIP() << "needs Go (golang-go) to build the Go client";
    TempDir d;
    const auto profile = d.write_profile("t", 41, 7, 5, 12345);
    TestCgroup cg;
    ASSERT_TRUE(cg.ok());
    const int l = listen_on("127.0.0.1");
    const auto port = local_port(l);
    auto r = run_tool({"enforce", profile, "--cgroup", cg.path(), "--role", "upstream"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto plain = cg.start_client(KT_ENFORCE_GO_CLIENT, port);
    ASSERT_GT(plain.first, 0);
    // Go 1.19's net.Dial sets idle and interval to its own 15 s after connect.
    EXPECT_EQ(upstream_values(plain.first), values(true, 15, 15, 5, 12345));

    const auto since = listed(cg.path())["since"];
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // SINCE is in whole seconds
    auto again = run_tool({"--json", "enforce", profile, "--cgroup", cg.path(), "--role", "upstream", "--override-app"});
    ASSERT_EQ(again.exit_code, 0) << again.err;
    EXPECT_EQ(nlohmann::json::parse(again.out)["result"], "updated");
    EXPECT_EQ(nlohmann::json::parse(again.out)["changes"], nlohmann::json::array({"override-app off -> on"}));
    EXPECT_EQ(listed(cg.path())["since"], since) << "updating keeps the time it was first enforced";
    const auto overridden = cg.start_client(KT_ENFORCE_GO_CLIENT, port);
    ASSERT_GT(overridden.first, 0);
    EXPECT_EQ(upstream_values(overridden.first), values(true, 41, 7, 5, 12345));
    EXPECT_GE(listed(cg.path())["connections"]["app_values_replaced"], 2);
    // Updating the pinned profile did not attach the programs a second time.
    if (access("/usr/sbin/bpftool", X_OK) == 0) {
        auto shown = run_program({"/usr/sbin/bpftool", "cgroup", "show", cg.path()});
        EXPECT_EQ(std::count(shown.out.begin(), shown.out.end(), '\n'), 3) << shown.out;  // header + 2 programs
    }
    close(l);
}

// The kernel keeps "not set" apart: a value the application set before connect() stays without
// --override-app, and what it did not set is the profile's.
TEST(EnforceTest, ValuesTheApplicationSetBeforeConnectStayUnlessOverrideApp) {
    KT_REQUIRE_ENFORCE();
    TempDir d;
    const auto profile = d.write_profile("t", 41, 7, 5, 12345);
    TestCgroup cg;
    ASSERT_TRUE(cg.ok());
    const int l = listen_on("127.0.0.1");
    const auto port = local_port(l);
    auto r = run_tool({"enforce", profile, "--cgroup", cg.path(), "--role", "upstream"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("values the application sets itself"), std::string::npos) << r.out;
    const auto own = cg.start_client(KT_ENFORCE_CLIENT, port, "100");
    ASSERT_GT(own.first, 0);
    EXPECT_EQ(upstream_values(own.first), values(true, 100, 7, 5, 12345));

    auto again = run_tool({"enforce", profile, "--cgroup", cg.path(), "--role", "upstream", "--override-app"});
    ASSERT_EQ(again.exit_code, 0) << again.err;
    const auto replaced = cg.start_client(KT_ENFORCE_CLIENT, port, "100");
    ASSERT_GT(replaced.first, 0);
    EXPECT_EQ(upstream_values(replaced.first), values(true, 41, 7, 5, 12345));
    close(l);
}

// A profile on a pod's cgroup and another on a container's cgroup inside it: the inner one wins
// for the container's connections whichever was attached first; enforce says so at attach time
// and --list shows the nesting. The outer one still has the rest of the pod.
TEST(EnforceTest, TheInnermostEnforcedCgroupsProfileWins) {
    KT_REQUIRE_ENFORCE();
    TempDir d;
    const auto outer_profile = d.write_profile("outer", 60, 20, 3, 9000);
    const auto inner_profile = d.write_profile("inner", 41, 7, 5, 12345);
    struct stat st {};
    const bool pins_before = stat("/sys/fs/bpf/keepalive-tune", &st) == 0;  // another enforce of this host's
    const int l = listen_on("127.0.0.1");
    const auto port = local_port(l);
    for (const bool outer_first : {true, false}) {
        SCOPED_TRACE(outer_first ? "outer attached first" : "inner attached first");
        TestCgroup pod;
        ASSERT_TRUE(pod.ok());
        TestCgroup container(pod);
        ASSERT_TRUE(container.ok());
        const std::vector<std::string> outer{"enforce", outer_profile, "--cgroup", pod.path()};
        const std::vector<std::string> inner{"enforce", inner_profile, "--cgroup", container.path()};
        const auto first = run_tool(outer_first ? outer : inner);
        ASSERT_EQ(first.exit_code, 0) << first.err;
        const auto second = run_tool(outer_first ? inner : outer);
        ASSERT_EQ(second.exit_code, 0) << second.err;
        EXPECT_NE(second.out.find(outer_first ? "note: inside " + pod.path() + ", enforced with profile outer: this "
                                                "profile wins"
                                              : "note: above " + container.path() +
                                                    ", enforced with profile inner: that profile stays"),
                  std::string::npos)
            << second.out;

        const auto in_container = container.start_client(KT_ENFORCE_CLIENT, port);
        const auto in_pod = pod.start_client(KT_ENFORCE_CLIENT, port);
        ASSERT_GT(in_container.first, 0);
        ASSERT_GT(in_pod.first, 0);
        EXPECT_EQ(upstream_values(in_container.first), values(true, 41, 7, 5, 12345));
        EXPECT_EQ(upstream_values(in_pod.first), values(true, 60, 20, 3, 9000));
        EXPECT_EQ(listed(container.path())["inside"], pod.path());
        EXPECT_TRUE(listed(pod.path())["inside"].is_null());
        for (int i = 0; i < 2; ++i) close(accept_one(l));
    }
    // Both removed (the cgroups' destructors): no pin is left, the shared marks included. The
    // connection-end counters (a trace test running beside this one) may keep the root.
    if (!pins_before && stat("/sys/fs/bpf/keepalive-tune", &st) == 0) {
        for (const auto& entry : std::filesystem::directory_iterator("/sys/fs/bpf/keepalive-tune"))
            EXPECT_EQ(entry.path().filename(), "connection-ends") << "left under the pin root";
    }
    close(l);
}

TEST(EnforceTest, PinsOfACgroupThatIsGoneAreListedAndCheckWarns) {
    KT_REQUIRE_ENFORCE();
    TempDir d;
    const auto profile = d.write_profile("t", 41, 7, 5);
    TestCgroup cg;
    ASSERT_TRUE(cg.ok());
    ASSERT_EQ(run_tool({"enforce", profile, "--cgroup", cg.path()}).exit_code, 0);
    auto ok = run_tool({"check", "--ports-warn", "100", "--ports-crit", "100"});
    EXPECT_EQ(ok.out.find(cg.path()), std::string::npos) << ok.out;
    ASSERT_TRUE(cg.remove_dir());
    ASSERT_EQ(mkdir(cg.path().c_str(), 0755), 0);  // made again, as systemd does at a restart
    EXPECT_EQ(listed(cg.path())["cgroup_exists"], false);
    auto text = run_tool({"enforce", "--list"});
    EXPECT_NE(text.out.find("NO: remove with enforce --remove"), std::string::npos) << text.out;
    auto c = run_tool({"check", "--ports-warn", "100", "--ports-crit", "100"});
    EXPECT_EQ(c.exit_code, 1) << c.out << c.err;
    EXPECT_NE(c.out.find("enforce: profile t is pinned for " + cg.path() + ", which no longer exists"), std::string::npos)
        << c.out;
    auto prom = run_tool({"check", "--format", "prometheus", "--ports-warn", "100", "--ports-crit", "100"});
    EXPECT_NE(prom.out.find("keepalive_tune_enforced_cgroups{state=\"orphaned\"} 1"), std::string::npos) << prom.out;
    // --remove finds the pins by the path they recorded, though the directory is a new one.
    auto rm = run_tool({"enforce", "--remove", "--cgroup", cg.path()});
    EXPECT_EQ(rm.exit_code, 0) << rm.err;
    EXPECT_TRUE(listed(cg.path()).is_null());
}

TEST(EnforceTest, BadInputIsOneLineAndPinsNothing) {
    KT_REQUIRE_ENFORCE();
    TempDir d;
    const auto profile = d.write_profile("t", 41, 7, 5);
    auto none = run_tool({"enforce", profile, "--cgroup", "kt-no-such-cgroup"});
    EXPECT_EQ(none.exit_code, 2);
    EXPECT_TRUE(none.err.starts_with("keepalive-tune: error: --cgroup kt-no-such-cgroup: No such file or directory"))
        << none.err;
    EXPECT_EQ(std::count(none.err.begin(), none.err.end(), '\n'), 1) << none.err;
    EXPECT_TRUE(listed(sys::cgroup2_mount() + "/kt-no-such-cgroup").is_null());
    TestCgroup cg;
    ASSERT_TRUE(cg.ok());
    for (const auto& [args, message] : std::vector<std::pair<std::vector<std::string>, std::string>>{
             {{"enforce", profile}, "enforce: give --cgroup PATH (a cgroup v2 directory)"},
             {{"enforce", "--cgroup", cg.path()}, "enforce: give a PROFILE (or --list, or --remove)"},
             {{"enforce", profile, "--list"}, "--list: takes no profile, --cgroup, --role or --override-app"},
             {{"enforce", profile, "--cgroup", cg.path(), "--role", "client"}, "--role"},
             {{"enforce", "--remove", "--cgroup", cg.path()}, "--cgroup " + cg.path() + ": nothing is enforced on it"}}) {
        auto r = run_tool(args);
        EXPECT_EQ(r.exit_code, 2) << args.back();
        EXPECT_TRUE(r.err.starts_with("keepalive-tune: error: " + message)) << r.err;
        EXPECT_TRUE(listed(cg.path()).is_null());
    }
    const std::string off = d.path() + "/off.json";
    FILE* f = fopen(off.c_str(), "w");
    ASSERT_NE(f, nullptr);
    fputs(R"({"name": "off", "summary": "s", "description": "d", "keepalive": {"enabled": false}})", f);
    fclose(f);
    auto r = run_tool({"enforce", off, "--cgroup", cg.path(), "--override-app"});
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find("--override-app: profile off turns keepalive off"), std::string::npos) << r.err;
    EXPECT_TRUE(listed(cg.path()).is_null());
}

}  // namespace
}  // namespace kt::test
