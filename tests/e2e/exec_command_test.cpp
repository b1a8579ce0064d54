// `exec` end to end: real programs started under the tool, their sockets read from outside with
// `inspect --exact` (pidfd_getfd on our own child), loopback only.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <nlohmann/json.hpp>
#include <thread>

#include "support/netns.hpp"
#include "support/run_binary.hpp"
#include "support/sockets.hpp"
#include "support/temp_dir.hpp"

namespace kt::test {
namespace {

struct Exact {
    bool keepalive = false;
    int idle = 0, interval = 0, count = 0, user_timeout = 0;
};

// Every socket of `pid` by role, as `inspect --exact` reads them from outside the process.
std::map<std::string, std::vector<Exact>> sockets_of(pid_t pid) {
    std::map<std::string, std::vector<Exact>> out;
    auto r = run_tool({"--json", "inspect", "--exact", "--pid", std::to_string(pid)});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    if (r.exit_code != 0) return out;
    const auto doc = nlohmann::json::parse(r.out);
    for (const auto& s : doc["sockets"]) {
        if (!s.contains("exact") || s["exact"].is_null()) continue;
        const auto& e = s["exact"];
        out[s["role"].get<std::string>()].push_back(
            {e["so_keepalive"], e["idle_seconds"], e["interval_seconds"], e["count"], e["user_timeout_ms"]});
    }
    return out;
}

void expect_profile(const Exact& e, const std::string& what) {
    EXPECT_TRUE(e.keepalive) << what;
    EXPECT_EQ(e.idle, 41) << what;
    EXPECT_EQ(e.interval, 7) << what;
    EXPECT_EQ(e.count, 5) << what;
    EXPECT_EQ(e.user_timeout, 12345) << what;
}

// `keepalive-tune exec PROFILE [flags] -- preload_target READY_FD args...` as a child process
// whose stderr goes to `err_file`; the target reports readiness (its port, or 1) on READY_FD.
class ExecChild {
public:
    ExecChild(const std::vector<std::string>& exec_args, const std::vector<std::string>& target_args, const std::string& err_file)
        : m_child([&](int ready_fd) {
              const int keep = dup(ready_fd);  // without O_CLOEXEC, so the target inherits it
              const int err = open(err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
              dup2(err, 2);
              std::vector<std::string> args = {tool_path(), "exec"};
              args.insert(args.end(), exec_args.begin(), exec_args.end());
              args.insert(args.end(), {"--", KT_PRELOAD_TARGET, std::to_string(keep)});
              args.insert(args.end(), target_args.begin(), target_args.end());
              std::vector<char*> argv;
              for (auto& a : args) argv.push_back(a.data());
              argv.push_back(nullptr);
              execv(argv[0], argv.data());
              _exit(127);
          }) {
        m_ready = m_child.wait_ready();
    }
    pid_t pid() const { return m_child.pid(); }
    int ready() const { return m_ready; }
    // The next int the target reports (at most 5 s).
    int next_ready() { return m_child.wait_ready(); }

private:
    ChildProcess m_child;
    int m_ready = -1;
};

class ExecCommandTest : public ::testing::Test {
protected:
    TempDir dir;
    std::string profile = dir.write_profile("probe", 41, 7, 5, 12345);
    std::string err = dir.path() + "/stderr";
};

TEST_F(ExecCommandTest, ListenerUpstreamAndAcceptedConnectionCarryTheProfile) {
    ExecChild server({profile}, {"serve"}, err);
    ASSERT_GT(server.ready(), 0);
    ExecChild client({profile}, {"connect", std::to_string(server.ready())}, err + ".client");
    ASSERT_EQ(client.ready(), 1);
    auto s = sockets_of(server.pid());
    ASSERT_EQ(s["listener"].size(), 1u);
    expect_profile(s["listener"][0], "listener");
    ASSERT_EQ(s["accepted"].size(), 1u);
    expect_profile(s["accepted"][0], "accepted (inherited from the listener)");
    auto c = sockets_of(client.pid());
    ASSERT_EQ(c["upstream"].size(), 1u);
    expect_profile(c["upstream"][0], "upstream");
}

TEST_F(ExecCommandTest, RoleListenerLeavesUpstreamSocketsAlone) {
    const int listener = listen_on("127.0.0.1");
    ExecChild client({profile, "--role", "listener"}, {"connect", std::to_string(local_port(listener))}, err);
    ASSERT_EQ(client.ready(), 1);
    auto c = sockets_of(client.pid());
    ASSERT_EQ(c["upstream"].size(), 1u);
    EXPECT_FALSE(c["upstream"][0].keepalive);
    EXPECT_NE(c["upstream"][0].idle, 41);
    ExecChild server({profile, "--role", "upstream"}, {"serve"}, err);
    ASSERT_GT(server.ready(), 0);
    auto s = sockets_of(server.pid());
    ASSERT_EQ(s["listener"].size(), 1u);
    EXPECT_FALSE(s["listener"][0].keepalive);
    close(listener);
}

// TCP Fast Open connects inside sendto(MSG_FASTOPEN), never calling connect().
TEST_F(ExecCommandTest, AFastOpenConnectionCarriesTheProfile) {
    const int listener = listen_on("127.0.0.1");
    ExecChild client({profile}, {"fastopen", std::to_string(local_port(listener))}, err);
    ASSERT_EQ(client.ready(), 1) << shell("cat " + err);
    auto c = sockets_of(client.pid());
    ASSERT_EQ(c["upstream"].size(), 1u);
    expect_profile(c["upstream"][0], "fast open upstream");
    close(listener);
}

TEST_F(ExecCommandTest, TheProgramsOwnValuesStandUnlessEnforced) {
    const int listener = listen_on("127.0.0.1");
    const std::string port = std::to_string(local_port(listener));
    for (const char* when : {"before", "after"}) {
        ExecChild own({profile}, {"connect", port, when, "99"}, err);
        ASSERT_EQ(own.ready(), 1) << when;
        auto c = sockets_of(own.pid());
        ASSERT_EQ(c["upstream"].size(), 1u) << when;
        EXPECT_EQ(c["upstream"][0].idle, 99) << "set " << when << " connect";
        EXPECT_EQ(c["upstream"][0].interval, 7) << when;  // what the program did not set is the profile's
        EXPECT_TRUE(c["upstream"][0].keepalive) << when;

        ExecChild enforced({profile, "--enforce"}, {"connect", port, when, "99"}, err);
        ASSERT_EQ(enforced.ready(), 1) << when;
        auto e = sockets_of(enforced.pid());
        ASSERT_EQ(e["upstream"].size(), 1u) << when;
        expect_profile(e["upstream"][0], std::string("--enforce, set ") + when + " connect");
    }
    close(listener);
}

TEST_F(ExecCommandTest, EnforceAlsoCoversWhatTheProgramSetsOnAcceptedConnections) {
    ExecChild own({profile}, {"serve", "own", "99"}, err);
    ASSERT_GT(own.ready(), 0);
    const int c1 = connect_to("127.0.0.1", static_cast<std::uint16_t>(own.ready()));
    ASSERT_EQ(own.next_ready(), 2);  // accepted, and its own TCP_KEEPIDLE set
    auto s = sockets_of(own.pid());
    ASSERT_EQ(s["accepted"].size(), 1u);
    EXPECT_EQ(s["accepted"][0].idle, 99);
    ExecChild enforced({profile, "--enforce"}, {"serve", "own", "99"}, err);
    ASSERT_GT(enforced.ready(), 0);
    const int c2 = connect_to("127.0.0.1", static_cast<std::uint16_t>(enforced.ready()));
    ASSERT_EQ(enforced.next_ready(), 2);
    s = sockets_of(enforced.pid());
    ASSERT_EQ(s["accepted"].size(), 1u);
    EXPECT_EQ(s["accepted"][0].idle, 41);
    close(c1);
    close(c2);
}

TEST_F(ExecCommandTest, PythonHttpServerGetsTheProfileOnItsListener) {
    if (access("/usr/bin/python3", X_OK) != 0) GTEST_SKIP() << "/usr/bin/python3 is missing";
    ChildProcess server([&](int) {
        const int null = open("/dev/null", O_WRONLY);
        dup2(null, 1);
        dup2(null, 2);
        execl(tool_path().c_str(), "keepalive-tune", "exec", profile.c_str(), "--", "/usr/bin/python3", "-m", "http.server",
              "0", "--bind", "127.0.0.1", static_cast<char*>(nullptr));
        _exit(127);
    });
    std::map<std::string, std::vector<Exact>> s;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    for (int i = 0; i < 100 && s["listener"].empty() && std::chrono::steady_clock::now() < deadline; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        s = sockets_of(server.pid());
    }
    ASSERT_EQ(s["listener"].size(), 1u);
    expect_profile(s["listener"][0], "python3 -m http.server listener");
}

TEST_F(ExecCommandTest, UdpAndUnixSocketsAreNeverTouched) {
    auto r = run_tool({"exec", profile, "--", KT_PRELOAD_TARGET, "-1", "others"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::cerr << r.out.substr(0, 600) << r.err;
    EXPECT_EQ(r.out, "udp=0 unix=0\n");
}

TEST_F(ExecCommandTest, ExitStatusAndSignalsAreTheProgramsOwn) {
    EXPECT_EQ(run_tool({"exec", profile, "--", KT_PRELOAD_TARGET, "-1", "exit", "42"}).exit_code, 42);
    EXPECT_EQ(run_tool({"exec", profile, "--", KT_PRELOAD_TARGET, "-1", "kill", "15"}).exit_code, 128 + 15);
}

// Global options may follow the command name; the `--` and the program's own options stay the
// program's.
TEST_F(ExecCommandTest, AGlobalOptionAfterExecLeavesTheCommandsOptionsAlone) {
    TempDir d;
    d.write_profile("found-there", 30, 5, 3);
    const auto r = run_tool({"exec", "found-there", "--profile-dir", d.path(), "--", "/bin/sh", "-c", "exit 7"});
    EXPECT_EQ(r.exit_code, 7) << r.err;
    EXPECT_EQ(r.err, "");
}

TEST_F(ExecCommandTest, AStaticBinaryGetsAWarningAndStrictRefuses) {
    auto warned = run_tool({"exec", profile, "--", KT_PRELOAD_TARGET_STATIC, "-1", "exit", "5"});
    EXPECT_EQ(warned.exit_code, 5);
    EXPECT_EQ(warned.err, std::string("keepalive-tune: warning: ") + KT_PRELOAD_TARGET_STATIC +
                              " is statically linked (no dynamic loader to read LD_PRELOAD): LD_PRELOAD cannot reach its "
                              "sockets; once it runs, use `keepalive-tune apply probe --pid PID` for its sockets, and "
                              "`apply --watch` for the connections it opens later\n");
    auto refused = run_tool({"exec", profile, "--strict", "--", KT_PRELOAD_TARGET_STATIC, "-1", "exit", "5"});
    EXPECT_EQ(refused.exit_code, 2);
    EXPECT_TRUE(refused.err.starts_with(std::string("keepalive-tune: error: ") + KT_PRELOAD_TARGET_STATIC +
                                        " is statically linked"))
        << refused.err;
    EXPECT_EQ(std::count(refused.err.begin(), refused.err.end(), '\n'), 1);
}

TEST_F(ExecCommandTest, AGoBinaryGetsAWarning) {
    const char* go = "/usr/bin/promtool";
    if (access(go, X_OK) != 0) GTEST_SKIP() << go << " is missing (Debian package prometheus)";
    auto r = run_tool({"exec", profile, "--strict", "--", go, "--version"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("is a Go program"), std::string::npos) << r.err;
}

TEST_F(ExecCommandTest, SetuidAndFileCapabilityBinariesAreRefusedWithStrict) {
    if (geteuid() != 0) GTEST_SKIP() << "needs root to set file capabilities";
    const auto copy = [&](const std::string& name) {
        const std::string path = dir.path() + "/" + name;
        EXPECT_EQ(run_program({"/bin/cp", KT_PRELOAD_TARGET, path}).exit_code, 0);
        return path;
    };
    const auto setuid_copy = copy("setuid_target");
    ASSERT_EQ(chmod(setuid_copy.c_str(), 04755), 0);
    auto r = run_tool({"exec", profile, "--strict", "--", setuid_copy, "-1", "exit", "0"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("is set-uid (the loader ignores LD_PRELOAD"), std::string::npos) << r.err;

    // security.capability, revision 2: cap_net_bind_service permitted.
    const auto caps_copy = copy("caps_target");
    const std::uint32_t caps[5] = {0x02000000u, 1u << 10, 0, 0, 0};
    ASSERT_EQ(setxattr(caps_copy.c_str(), "security.capability", caps, sizeof caps, 0), 0) << std::strerror(errno);
    r = run_tool({"exec", profile, "--strict", "--", caps_copy, "-1", "exit", "0"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("has file capabilities"), std::string::npos) << r.err;
}

TEST_F(ExecCommandTest, ScriptsAreJudgedByTheirInterpreter) {
    const auto script = dir.write("static.sh", std::string("#!") + KT_PRELOAD_TARGET_STATIC + "\n");
    chmod(script.c_str(), 0755);
    auto r = run_tool({"exec", profile, "--strict", "--", script});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("(run by " + std::string(KT_PRELOAD_TARGET_STATIC) + ") is statically linked"), std::string::npos)
        << r.err;
}

TEST_F(ExecCommandTest, AHandSetMalformedEnvironmentWarnsOnceAndTheProgramRuns) {
    auto r = run_program({"/usr/bin/env", std::string("LD_PRELOAD=") + KT_PRELOAD_LIBRARY, "KEEPALIVE_TUNE_PRELOAD=v1 idle=banana",
                          KT_PRELOAD_TARGET, "-1", "exit", "3"});
    EXPECT_EQ(r.exit_code, 3);
    EXPECT_EQ(r.err, "keepalive-tune preload: warning: KEEPALIVE_TUNE_PRELOAD: idle must be 1..32767; sockets are left as "
                     "they are (start the program with `keepalive-tune exec`)\n");
}

// Before: once per process, so a shell shim that runs dozens of programs warned dozens of times.
TEST_F(ExecCommandTest, AMalformedSettingWarnsOnceForAWholeProcessTree) {
    auto r = run_program({"/usr/bin/env", std::string("LD_PRELOAD=") + KT_PRELOAD_LIBRARY, "KEEPALIVE_TUNE_PRELOAD=garbage",
                          "/bin/sh", "-c", "/bin/sh -c true; /bin/sh -c '/bin/true; /bin/true'; echo $KEEPALIVE_TUNE_PRELOAD"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    const std::string warning = "keepalive-tune preload: warning: KEEPALIVE_TUNE_PRELOAD: ";
    std::size_t count = 0;
    for (auto at = r.err.find(warning); at != std::string::npos; at = r.err.find(warning, at + 1)) ++count;
    EXPECT_EQ(count, 1u) << r.err;
    EXPECT_EQ(r.out, "off\n");  // what the children saw
}

TEST_F(ExecCommandTest, BadInputIsOneErrorLineAndNothingRuns) {
    const auto marker = dir.path() + "/ran";
    const std::vector<std::string> touch = {"--", "/bin/sh", "-c", "touch " + marker};
    auto with = [&](std::vector<std::string> args) {
        args.insert(args.begin(), "exec");
        args.insert(args.end(), touch.begin(), touch.end());
        return run_tool(args);
    };
    for (const auto& r : {with({"no-such-profile"}), with({profile, "--role", "accepted"}), with({dir.write("bad.json", "{")})}) {
        EXPECT_EQ(r.exit_code, 2) << r.err;
        EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
        EXPECT_TRUE(r.err.starts_with("keepalive-tune: error: ")) << r.err;
    }
    EXPECT_NE(access(marker.c_str(), F_OK), 0);
    EXPECT_EQ(run_tool({"exec", profile}).exit_code, 2);
    auto no_separator = run_tool({"exec", profile, "/bin/echo", "-n", "x"});
    EXPECT_EQ(no_separator.exit_code, 2);
    EXPECT_NE(no_separator.err.find("go after --: exec PROFILE -- COMMAND [ARG...]"), std::string::npos) << no_separator.err;
    EXPECT_EQ(no_separator.out, "");
    auto missing = run_tool({"exec", profile, "--", "no-such-command-kt"});
    EXPECT_EQ(missing.exit_code, 127);
    EXPECT_EQ(missing.err, "keepalive-tune: error: no-such-command-kt: command not found in PATH\n");
    const auto plain = dir.write("plain.txt", "x");
    EXPECT_EQ(run_tool({"exec", profile, "--", plain}).exit_code, 126);
}

}  // namespace
}  // namespace kt::test
