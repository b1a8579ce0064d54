// trace against real endings: keepalive and retransmission deaths behind a silenced server,
// a NAT that answers a forgotten flow with a reset, a port without a listener, normal closes,
// and a ring buffer too small for a burst.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "support/nat_lab.hpp"
#include "support/netns.hpp"
#include "support/run_binary.hpp"
#include "support/snippet_check.hpp"
#include "support/sockets.hpp"
#include "support/temp_dir.hpp"

namespace kt::test {
namespace {

#define KT_REQUIRE_TRACE()                                                              \
    do {                                                                                \
        KT_REQUIRE_KERNEL_TESTS();                                                      \
        if (!KT_BPF_BUILT) GTEST_SKIP() << "built without the BPF engine (KT_BPF=OFF)"; \
    } while (0)

std::string read_file(const std::string& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

// `keepalive-tune --json trace ARGS` in the background, its output in files; stopped by its PID.
class Trace {
public:
    explicit Trace(const std::vector<std::string>& args) {
        m_out = m_dir.path() + "/out";
        m_err = m_dir.path() + "/err";
        m_pid = fork();
        if (m_pid == 0) {
            const int out = open(m_out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
            const int err = open(m_err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
            dup2(out, 1);
            dup2(err, 2);
            std::vector<std::string> argv{tool_path(), "--json", "trace"};
            argv.insert(argv.end(), args.begin(), args.end());
            std::vector<char*> c;
            for (auto& a : argv) c.push_back(a.data());
            c.push_back(nullptr);
            execv(c[0], c.data());
            _exit(127);
        }
    }
    ~Trace() {
        if (m_pid > 0 && !m_exited) {
            kill(m_pid, SIGKILL);
            waitpid(m_pid, nullptr, 0);
        }
    }
    // Until the programs are attached (its progress line), at most 10 s.
    bool wait_attached() {
        for (int i = 0; i < 200; ++i) {
            if (read_file(m_err).find("tracing connection ends") != std::string::npos) return true;
            if (waitpid(m_pid, &m_status, WNOHANG) == m_pid) {
                m_exited = true;
                return false;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        return false;
    }
    // Waits for its exit (at most `seconds`), else stops it with SIGINT; the exit code.
    int finish(int seconds) {
        for (int i = 0; !m_exited && i < seconds * 20; ++i) {
            if (waitpid(m_pid, &m_status, WNOHANG) == m_pid) m_exited = true;
            else std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        if (!m_exited) {
            kill(m_pid, SIGINT);
            waitpid(m_pid, &m_status, 0);
            m_exited = true;
        }
        return WIFEXITED(m_status) ? WEXITSTATUS(m_status) : -1;
    }
    std::vector<nlohmann::json> events() const {
        std::vector<nlohmann::json> out;
        std::istringstream in(read_file(m_out));
        for (std::string line; std::getline(in, line);)
            if (!line.empty()) out.push_back(nlohmann::json::parse(line));
        return out;
    }
    std::string out() const { return read_file(m_out); }
    std::string err() const { return read_file(m_err); }

private:
    TempDir m_dir;
    std::string m_out, m_err;
    pid_t m_pid = -1;
    int m_status = 0;
    bool m_exited = false;
};

bool kernel_at_least(int major, int minor) {
    utsname u{};
    uname(&u);
    int a = 0, b = 0;
    std::sscanf(u.release, "%d.%d", &a, &b);
    return a > major || (a == major && b >= minor);
}

std::string port_of(int fd) { return std::to_string(local_port(fd)); }

// The lab with a connection from client to server, accepted, with its client end's port.
struct Connected {
    explicit Connected(int idle_timeout_s, ForgetfulNatLab::Forget forget) : lab(idle_timeout_s, forget) {
        if (!lab.error().empty()) return;
        listener = lab.listen_in_server();
        client = lab.connect_from_client(local_port(listener));
        server = accept_one(listener);
    }
    ~Connected() {
        for (int fd : {client, server, listener})
            if (fd >= 0) close(fd);
    }
    ForgetfulNatLab lab;
    int listener = -1, client = -1, server = -1;
};

TEST(TraceKernelTest, AKeepaliveDeathBehindASilencedServerIsAKeepaliveTimeoutWithItsProbesAndOwner) {
    KT_REQUIRE_TRACE();
    KT_REQUIRE_NFT();
    Connected c(600, ForgetfulNatLab::Forget::drop);
    ASSERT_EQ(c.lab.error(), "");
    ASSERT_GE(c.server, 0);
    set_keepalive(c.client, 1, 1, 2);
    // The kernel resets the connection as keepalive gives up, then closes it: two ends.
    Trace trace({"--netns", c.lab.client.name(), "--count", "2", "--duration", "20s"});
    ASSERT_TRUE(trace.wait_attached()) << trace.err();
    ASSERT_TRUE(c.lab.silence_server());
    // 1 s idle, then 2 probes 1 s apart, then the end: about 3 s.
    EXPECT_EQ(trace.finish(15), 0) << trace.err();
    const auto events = trace.events();
    ASSERT_EQ(events.size(), 2u) << trace.out() << trace.err();
    EXPECT_EQ(events[0]["reason"], "reset-sent");
    // Linux 6.12 named the resets the host decides itself.
    if (kernel_at_least(6, 12)) {
        EXPECT_EQ(events[0]["reset_reason"], "TCP_KEEPALIVE_TIMEOUT");
    }
    const auto& e = events[1];
    EXPECT_EQ(e["schema"], "keepalive-tune.trace-event.v1");
    EXPECT_EQ(e["reason"], "keepalive-timeout") << e.dump();
    EXPECT_EQ(e["error"], "ETIMEDOUT");
    EXPECT_EQ(e["probes_sent"], 2);
    // Nothing came back after the handshake: 1 s idle, then 2 probes 1 s apart.
    EXPECT_GE(e["last_receive_ms"].get<int>(), 2500) << e.dump();
    EXPECT_LE(e["last_receive_ms"].get<int>(), 10000) << e.dump();
    EXPECT_GE(e["last_ack_ms"].get<int>(), 2500) << e.dump();
    EXPECT_EQ(e["keepalive"]["on"], true);
    EXPECT_EQ(e["keepalive"]["idle_s"], 1);
    EXPECT_EQ(e["keepalive"]["interval_s"], 1);
    EXPECT_EQ(e["keepalive"]["count"], 2);
    EXPECT_EQ(e["keepalive"]["own_values"], true);
    EXPECT_EQ(e["local"], std::string(ForgetfulNatLab::k_client) + ":" + port_of(c.client));
    EXPECT_EQ(e["peer"], std::string(ForgetfulNatLab::k_server) + ":" + port_of(c.listener));
    EXPECT_EQ(e["state_before"], "established");
    EXPECT_EQ(e["role"], "upstream");
    EXPECT_EQ(e["owner_state"], "found");
    EXPECT_EQ(e["owner"]["pid"], getpid());
}

TEST(TraceKernelTest, DataIntoABlackHoleWithAUserTimeoutIsARetransmitTimeoutNamingIt) {
    KT_REQUIRE_TRACE();
    KT_REQUIRE_NFT();
    Connected c(600, ForgetfulNatLab::Forget::drop);
    ASSERT_EQ(c.lab.error(), "");
    ASSERT_GE(c.server, 0);
    set_int_option(c.client, IPPROTO_TCP, TCP_USER_TIMEOUT, 3000);
    Trace trace({"--netns", c.lab.client.name(), "--count", "1", "--duration", "20s"});
    ASSERT_TRUE(trace.wait_attached()) << trace.err();
    ASSERT_TRUE(c.lab.silence_server());
    ASSERT_EQ(write(c.client, "lost", 4), 4);
    EXPECT_EQ(trace.finish(15), 0) << trace.err();
    const auto events = trace.events();
    ASSERT_EQ(events.size(), 1u) << trace.out() << trace.err();
    const auto& e = events[0];
    EXPECT_EQ(e["reason"], "retransmit-timeout") << e.dump();
    EXPECT_EQ(e["error"], "ETIMEDOUT");
    EXPECT_EQ(e["by_user_timeout"], true);
    EXPECT_EQ(e["user_timeout_ms"], 3000);
    EXPECT_GE(e["retransmissions"].get<int>(), 1);
    EXPECT_GE(e["retransmitted_ms"].get<int>(), 2500);
    EXPECT_LE(e["retransmitted_ms"].get<int>(), 5000);
}

TEST(TraceKernelTest, ANatAnsweringAForgottenFlowWithAResetIsAResetOnTheFirstSendAfterIdle) {
    KT_REQUIRE_TRACE();
    KT_REQUIRE_NFT();
    Connected c(2, ForgetfulNatLab::Forget::reset);
    ASSERT_EQ(c.lab.error(), "");
    ASSERT_GE(c.server, 0);
    Trace trace({"--netns", c.lab.client.name(), "--count", "1", "--duration", "20s"});
    ASSERT_TRUE(trace.wait_attached()) << trace.err();
    const auto idle_from = std::chrono::steady_clock::now();
    std::this_thread::sleep_for(std::chrono::milliseconds(4000));
    const auto idle_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - idle_from).count();
    ASSERT_EQ(write(c.client, "late", 4), 4);
    EXPECT_EQ(trace.finish(10), 0) << trace.err();
    const auto events = trace.events();
    ASSERT_EQ(events.size(), 1u) << trace.out() << trace.err();
    const auto& e = events[0];
    EXPECT_EQ(e["reason"], "reset-received") << e.dump();
    EXPECT_EQ(e["first_send_after_idle"], true);
    // The connection was idle from its handshake (just before the trace started) to the send.
    EXPECT_NEAR(e["idle_ms"].get<double>(), static_cast<double>(idle_ms), 1000.0);
    EXPECT_GE(c.lab.invalid_packets(), 1);
}

TEST(TraceKernelTest, DataToAPortWithoutAListenerIsAResetSentWithTheKernelsReason) {
    KT_REQUIRE_TRACE();
    TestNetns ns;
    ASSERT_TRUE(ns.ok());
    Trace trace({"--netns", ns.name(), "--reason", "reset-sent", "--count", "1", "--duration", "15s"});
    ASSERT_TRUE(trace.wait_attached()) << trace.err();
    int refused = -2;
    ns.run_inside([&] { refused = try_connect("127.0.0.1", 9); });
    EXPECT_LT(refused, 0);
    EXPECT_EQ(trace.finish(10), 0) << trace.err();
    const auto events = trace.events();
    ASSERT_EQ(events.size(), 1u) << trace.out() << trace.err();
    const auto& e = events[0];
    EXPECT_EQ(e["reason"], "reset-sent");
    EXPECT_EQ(e["local"], "127.0.0.1:9");
    // Linux 6.10 gave tcp_send_reset its reason.
    EXPECT_EQ(e["reset_reason"], kernel_at_least(6, 10) ? "NO_SOCKET" : "not-specified");
    EXPECT_EQ(e["owner_state"], "none");
    EXPECT_EQ(e["role"], nullptr);  // no socket sent it
}

// `n` loopback connections opened and closed normally inside `ns`, then one refused connect
// (a reset-sent that marks the end of the burst).
void close_normally(const TestNetns& ns, int n) {
    ns.run_inside([&] {
        const int listener = listen_on("127.0.0.1");
        for (int i = 0; i < n; ++i) {
            const int c = connect_to("127.0.0.1", local_port(listener));
            const int a = accept_one(listener);
            close(c);
            close(a);
        }
        close(listener);
        try_connect("127.0.0.1", 9);
    });
}

TEST(TraceKernelTest, NormalClosesAreShownWithAllOnly) {
    KT_REQUIRE_TRACE();
    TestNetns ns;
    ASSERT_TRUE(ns.ok());
    {
        Trace trace({"--netns", ns.name(), "--count", "1", "--duration", "15s"});
        ASSERT_TRUE(trace.wait_attached()) << trace.err();
        close_normally(ns, 3);
        EXPECT_EQ(trace.finish(10), 0) << trace.err();
        const auto events = trace.events();
        ASSERT_EQ(events.size(), 1u) << trace.out();
        EXPECT_EQ(events[0]["reason"], "reset-sent");
    }
    Trace trace({"--netns", ns.name(), "--all", "--reason", "closed", "--count", "6", "--duration", "15s"});
    ASSERT_TRUE(trace.wait_attached()) << trace.err();
    close_normally(ns, 3);
    EXPECT_EQ(trace.finish(10), 0) << trace.err();
    const auto events = trace.events();
    ASSERT_EQ(events.size(), 6u) << trace.out();  // both ends of each connection
    for (const auto& e : events) {
        EXPECT_EQ(e["reason"], "closed");
        EXPECT_EQ(e["error"], nullptr);
    }
}

TEST(TraceKernelTest, WithoutRoleTheSideComesFromTheListenersStillOpen) {
    KT_REQUIRE_TRACE();
    TestNetns ns;
    ASSERT_TRUE(ns.ok());
    int listener = -1;
    ns.run_inside([&] { listener = listen_on("127.0.0.1"); });
    ASSERT_GE(listener, 0);
    Trace trace({"--netns", ns.name(), "--all", "--count", "6", "--duration", "15s"});
    ASSERT_TRUE(trace.wait_attached()) << trace.err();
    ns.run_inside([&] {
        for (int i = 0; i < 3; ++i) {
            const int c = connect_to("127.0.0.1", local_port(listener));
            const int a = accept_one(listener);
            close(c);
            close(a);
        }
    });
    EXPECT_EQ(trace.finish(10), 0) << trace.err();
    const std::string listening = "127.0.0.1:" + std::to_string(local_port(listener));
    close(listener);
    const auto events = trace.events();
    ASSERT_EQ(events.size(), 6u) << trace.out();
    int accepted = 0, upstream = 0;
    for (const auto& e : events) {
        accepted += e["role"] == "accepted";
        upstream += e["role"] == "upstream";
        if (e["role"] == "accepted") {
            EXPECT_EQ(e["local"], listening);
        }
    }
    EXPECT_EQ(accepted, 3) << trace.out();
    EXPECT_EQ(upstream, 3) << trace.out();
}

// With --role the programs note how each connection is made, so the side is known though the
// listener is closed before the ends are read.
TEST(TraceKernelTest, RoleChoosesTheSideOfTheConnection) {
    KT_REQUIRE_TRACE();
    TestNetns ns;
    ASSERT_TRUE(ns.ok());
    Trace trace({"--netns", ns.name(), "--all", "--role", "accepted", "--count", "3", "--duration", "15s"});
    ASSERT_TRUE(trace.wait_attached()) << trace.err();
    close_normally(ns, 3);
    EXPECT_EQ(trace.finish(10), 0) << trace.err();
    const auto events = trace.events();
    ASSERT_EQ(events.size(), 3u) << trace.out();
    // The three accepted ends all have the listener's port.
    for (const auto& e : events) {
        EXPECT_EQ(e["role"], "accepted");
        EXPECT_EQ(e["local"], events[0]["local"]);
    }
}

TEST(TraceKernelTest, ARingBufferTooSmallForABurstCountsEveryEndItLost) {
    KT_REQUIRE_TRACE();
    TestNetns ns;
    ASSERT_TRUE(ns.ok());
    // 4 KiB holds about 25 records; the burst is 2 x 400 closes and a refused connect.
    Trace trace({"--netns", ns.name(), "--all", "--summary", "--ring-bytes", "4096", "--duration", "6s"});
    ASSERT_TRUE(trace.wait_attached()) << trace.err();
    close_normally(ns, 400);
    EXPECT_EQ(trace.finish(15), 0) << trace.err();
    const auto summary = nlohmann::json::parse(trace.out());
    EXPECT_EQ(summary["schema"], "keepalive-tune.trace-summary.v1");
    const auto shown = summary["events"].get<std::uint64_t>(), lost = summary["lost"].get<std::uint64_t>();
    EXPECT_GT(lost, 0u) << trace.out();
    // Both ends of each connection, and the refused connect's reset sent and received.
    EXPECT_EQ(shown + lost, 802u) << trace.out();
    EXPECT_NE(trace.err().find("connection ends lost: the ring buffer was full"), std::string::npos) << trace.err();
}

TEST(TraceKernelTest, BadInputAndNoPrivilegeAreExit2WithTheReason) {
    KT_REQUIRE_TRACE();
    for (const auto& args : std::vector<std::vector<std::string>>{{"--duration", "soon"},
                                                                 {"--port", "http"},
                                                                 {"--reason", "timeout"},
                                                                 {"--role", "client"},
                                                                 {"--install-counters", "--duration", "1s"},
                                                                 {"--install-counters", "--remove-counters"},
                                                                 {"--ring-bytes", "5000"},
                                                                 {"--netns", "kt-no-such-netns"}}) {
        std::vector<std::string> argv{"trace"};
        argv.insert(argv.end(), args.begin(), args.end());
        const auto r = run_tool(argv);
        EXPECT_EQ(r.exit_code, 2) << args[0];
        EXPECT_NE(r.err.find("keepalive-tune: error: "), std::string::npos) << r.err;
    }
    const auto r = run_program(as_unprivileged({tool_path(), "trace", "--duration", "1s"}));
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find("CAP_BPF"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace kt::test
