// apply proven on the wire: probe bursts counted by TcpExt TCPKeepAlive, and dead peers
// found in the time the profile promises, across two namespaces joined by veth.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <optional>
#include <set>

#include "core/socket/diag_parse.hpp"
#include "support/netns.hpp"
#include "support/run_binary.hpp"
#include "support/sockets.hpp"
#include "support/target_process.hpp"
#include "support/temp_dir.hpp"
#include "sys/diag_client.hpp"

namespace kt::test {
namespace {


long keepalive_probes_in(const TestNetns& ns) {
    long v = -1;
    ns.run_inside([&] { v = tcp_ext_counter("TCPKeepAlive"); });
    return v;
}

void expect_no_probe_burst(const std::string& engine) {
    TestNetns ns;
    ASSERT_TRUE(ns.ok());
    TempDir d;
    const auto profile = d.write_profile("short", 2, 1, 3);
    TargetProcess target("127.0.0.1", ns.name());
    ASSERT_TRUE(target.ok());
    ASSERT_EQ(target.connect_many(100, true), 100);   // keepalive already on: the re-arm case
    ASSERT_EQ(target.connect_many(100, false), 100);  // keepalive off
    // The same kind of connections, held by the test, for the naive control below.
    std::vector<int> control;
    ns.run_inside([&] {
        const int l = listen_on("127.0.0.1");
        for (int i = 0; i < 50; ++i) {
            control.push_back(connect_to("127.0.0.1", local_port(l)));
            set_int_option(control.back(), SOL_SOCKET, SO_KEEPALIVE, 1);
            control.push_back(accept_one(l));
        }
        control.push_back(l);
    });
    sleep(3);  // every connection has now been idle longer than the new idle of 2 s

    const long before = keepalive_probes_in(ns);
    auto r = run_tool({"apply", profile, "--pid", std::to_string(target.pid()), "--role", "upstream", "--engine", engine});
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("201 changed"), std::string::npos) << r.out;
    usleep(500 * 1000);
    const long after_apply = keepalive_probes_in(ns);
    std::printf("TCPKeepAlive: +%ld during apply (%s engine) to 201 long-idle sockets\n", after_apply - before,
                engine.c_str());
    EXPECT_LE(after_apply - before, 2) << "apply sent a probe burst";

    // Control: setting TCP_KEEPIDLE directly on the test's own long-idle connections probes at once.
    for (std::size_t i = 0; i + 1 < control.size(); i += 2) set_int_option(control[i], IPPROTO_TCP, TCP_KEEPIDLE, 2);
    usleep(500 * 1000);
    const long after_naive = keepalive_probes_in(ns);
    std::printf("TCPKeepAlive: +%ld after a naive TCP_KEEPIDLE on 50 long-idle sockets\n", after_naive - after_apply);
    EXPECT_GE(after_naive - after_apply, 45) << "the counter did not see the naive burst; the measurement is blind";
    for (int fd : control) close(fd);
}

TEST(ApplyWireTest, ApplyingAShortIdleToLongIdleConnectionsSendsNoProbeBurst) {
    KT_REQUIRE_KERNEL_TESTS();
    expect_no_probe_burst("pidfd");
}

TEST(ApplyWireTest, TheBpfEngineSendsNoProbeBurstEither) {
    KT_REQUIRE_KERNEL_TESTS();
    if (!KT_BPF_BUILT) GTEST_SKIP() << "built without the BPF engine (KT_BPF=OFF)";
    expect_no_probe_burst("bpf");
}

// Two namespaces joined by veth: the server in one, the client in the other.
class VethPair {
public:
    VethPair() {
        const std::string tag = std::to_string(getpid() % 100000);
        m_a = "kta" + tag;
        m_b = "ktb" + tag;
        const auto r = run_program({"/bin/sh", "-c",
                                    "ip link add " + m_a + " netns " + server.name() + " type veth peer name " + m_b +
                                        " netns " + client.name() + " && ip -n " + server.name() + " addr add " +
                                        k_server + "/30 dev " + m_a + " && ip -n " + client.name() + " addr add " +
                                        k_client + "/30 dev " + m_b + " && ip -n " + server.name() + " link set " + m_a +
                                        " up && ip -n " + client.name() + " link set " + m_b + " up"});
        m_ok = server.ok() && client.ok() && r.exit_code == 0;
    }
    bool ok() const { return m_ok; }
    // Drops everything the client would receive: it never answers a probe again.
    bool silence_client() const {
        return client.exec("nft add table inet kt_silence && " + std::string("ip netns exec ") + client.name() +
                           " nft add chain inet kt_silence in '{ type filter hook input priority 0; policy drop; }' "
                           "&& echo ok") == "ok\n";
    }
    TestNetns server, client;
    static constexpr const char* k_server = "10.254.77.1";
    static constexpr const char* k_client = "10.254.77.2";

private:
    std::string m_a, m_b;
    bool m_ok = false;
};

// The server-side sockets (by peer port) still in the server namespace's TCP table.
std::set<std::uint16_t> alive_peer_ports(const TestNetns& ns, std::uint16_t server_port) {
    class Collect : public SocketSink {
    public:
        explicit Collect(std::uint16_t p) : m_port(p) {}
        void on_socket(const SocketRecord& s) override {
            if (s.local.port == m_port && s.state != 10) ports.insert(s.peer.port);
        }
        std::set<std::uint16_t> ports;

    private:
        std::uint16_t m_port;
    } collect(server_port);
    std::optional<sys::DiagSocket> socket;
    ns.run_inside([&] {
        if (auto s = sys::DiagSocket::open()) socket.emplace(std::move(*s));
    });
    if (socket) (void)socket->dump({0, state_bit(TcpState::established), {}}, collect);
    return collect.ports;
}

TEST(ApplyWireTest, ASilencedPeerIsFoundInTheTimeTheProfilePromises) {
    KT_REQUIRE_KERNEL_TESTS();
    if (access("/usr/sbin/nft", X_OK) != 0) GTEST_SKIP() << "needs nftables' nft";
    VethPair net;
    ASSERT_TRUE(net.ok());
    TempDir d;
    const auto plain = d.write_profile("plain", 2, 1, 3);
    const auto cut = d.write_profile("cut", 2, 1, 3, 3000);
    TargetProcess server(VethPair::k_server, net.server.name());
    ASSERT_TRUE(server.ok());
    std::vector<int> clients;
    std::vector<std::uint16_t> client_ports;
    net.client.run_inside([&] {
        for (int i = 0; i < 3; ++i) {
            clients.push_back(connect_to(VethPair::k_server, server.port()));
            client_ports.push_back(local_port(clients.back()));
        }
    });
    for (int i = 0; i < 3; ++i) ASSERT_GE(server.accept_pending(), 0);
    usleep(200 * 1000);
    // Three from the client namespace, plus the target's own connection to itself.
    ASSERT_EQ(alive_peer_ports(net.server, server.port()).size(), 4u);
    ASSERT_TRUE(net.silence_client());

    const std::string pid = std::to_string(server.pid());
    auto r1 = run_tool({"apply", plain, "--pid", pid, "--role", "accepted", "--port", std::to_string(client_ports[0])});
    const auto t0 = std::chrono::steady_clock::now();
    auto r2 = run_tool({"apply", cut, "--pid", pid, "--role", "accepted", "--port", std::to_string(client_ports[1])});
    const auto t0_cut = std::chrono::steady_clock::now();
    ASSERT_EQ(r1.exit_code, 0) << r1.out << r1.err;
    ASSERT_EQ(r2.exit_code, 0) << r2.out << r2.err;

    std::optional<double> died_plain, died_cut;
    double elapsed = 0;
    for (int i = 0; i < 170 && elapsed < 15.5; ++i) {  // bounded: 17 s at most
        usleep(100 * 1000);
        elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        const auto alive = alive_peer_ports(net.server, server.port());
        if (!died_plain && !alive.count(client_ports[0])) died_plain = elapsed;
        if (!died_cut && !alive.count(client_ports[1]))
            died_cut = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_cut).count();
    }
    std::printf("dead peer found: 2/1/3 after %.2f s, 2/1/3 + user timeout 3000 ms after %.2f s\n",
                died_plain.value_or(-1), died_cut.value_or(-1));
    ASSERT_TRUE(died_plain.has_value()) << "2/1/3 never found the dead peer";
    EXPECT_NEAR(*died_plain, 5.0, 1.5);
    ASSERT_TRUE(died_cut.has_value()) << "2/1/3 + user timeout 3000 never found the dead peer";
    EXPECT_NEAR(*died_cut, 3.0, 1.5);
    EXPECT_GE(elapsed, 15.0);
    EXPECT_TRUE(alive_peer_ports(net.server, server.port()).count(client_ports[2]))
        << "the connection without the profile should still be alive after 15 s";
    for (int fd : clients) close(fd);
}

}  // namespace
}  // namespace kt::test
