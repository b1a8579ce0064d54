// health proven on the wire: a NAT that forgets idle flows, a peer that keeps the connection
// alive, the namespace's own conntrack, a peer that stops answering or leaves probes unanswered.
#include <errno.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>

#include <nlohmann/json.hpp>

#include "support/nat_lab.hpp"
#include "support/netns.hpp"
#include "support/run_binary.hpp"
#include "support/sockets.hpp"
#include "support/temp_dir.hpp"

#include "kernel/health_kernel_support.hpp"

namespace kt::test {
namespace {

// The finding of health, and the failure it predicts: a connection idle past the NAT's timeout
// is reset at its next send; one whose keepalive beats the timeout is ok and still carries data.
TEST(HealthKernelTest, AConnectionIdlePastTheNatTimeoutIsLikelyDroppedAndItsNextSendFails) {
    KT_REQUIRE_KERNEL_TESTS();
    KT_REQUIRE_NFT();
    ForgetfulNatLab lab(3, ForgetfulNatLab::Forget::reset);
    ASSERT_EQ(lab.error(), "");
    const int l = lab.listen_in_server();
    const int plain = lab.connect_from_client(local_port(l));
    const int kept = lab.connect_from_client(local_port(l));
    ASSERT_GE(plain, 0);
    ASSERT_GE(kept, 0);
    set_keepalive(kept, 1, 1, 3);  // a probe every second beats the 3 s timeout
    ASSERT_EQ(send(plain, "P", 1, 0), 1);
    ASSERT_EQ(send(kept, "K", 1, 0), 1);
    int server_plain = -1, server_kept = -1;
    for (int i = 0; i < 2; ++i) {
        const int a = accept_one(l);
        char c = 0;
        ASSERT_EQ(recv(a, &c, 1, 0), 1);
        (c == 'P' ? server_plain : server_kept) = a;
    }
    sleep(4);  // past the middlebox's 3 s

    std::vector<std::int64_t> idle;
    for (const auto& engine : engines()) {
        SCOPED_TRACE(engine);
        // Only the iterator sees the peer's keepalive probes; without them the verdict is unverified.
        const bool sees_probes = engine == "bpf";
        const auto doc =
            health_json({"--netns", lab.client.name(), "--path", "lab-nat=3s", "--engine", engine}, sees_probes ? 1 : 0);
        EXPECT_EQ(doc["engine"], engine);
        const auto* dropped = connection_from_port(doc, local_port(plain));
        ASSERT_NE(dropped, nullptr) << doc.dump(1);
        EXPECT_EQ((*dropped)["verdict"], sees_probes ? "likely-dropped" : "unverified");
        EXPECT_EQ((*dropped)["middlebox"]["name"], "lab-nat");
        EXPECT_GT((*dropped)["idle_ms"], 3000);
        idle.push_back((*dropped)["idle_ms"].get<std::int64_t>());
        EXPECT_EQ(connection_from_port(doc, local_port(kept)), nullptr) << "the keepalive connection is ok";
        EXPECT_GE(doc["totals"]["ok"], 1);
    }
    // The two reads are moments apart: the same idle time within that.
    if (idle.size() == 2) {
        EXPECT_LT(std::abs(idle[1] - idle[0]), 1000);
    }

    // The prediction holds: the middlebox forgot the flow and resets the next send.
    const long invalid_before = lab.invalid_packets();
    ASSERT_EQ(send(plain, "x", 1, 0), 1);
    ASSERT_TRUE(wait_readable(plain, 3000));
    char c = 0;
    errno = 0;
    EXPECT_EQ(recv(plain, &c, 1, 0), -1);
    EXPECT_EQ(errno, ECONNRESET);
    EXPECT_GT(lab.invalid_packets(), invalid_before);
    // The kept connection still carries data.
    ASSERT_EQ(send(kept, "y", 1, 0), 1);
    ASSERT_TRUE(wait_readable(server_kept, 3000));
    EXPECT_EQ(recv(server_kept, &c, 1, 0), 1);
    EXPECT_EQ(c, 'y');
    for (int fd : {l, plain, kept, server_plain, server_kept}) close(fd);
}

// The accepted side of a connection whose client probes every second: tcp_info's receive times
// stand still (the kernel drops each probe as out of window), yet the NAT keeps the flow. It is
// never likely-dropped nor reaped as such; the silent connection beside it is, where the probes
// can be seen (the BPF iterator), and is unverified where they cannot.
TEST(HealthKernelTest, AConnectionThePeerKeepsAliveIsNotLikelyDroppedOnEitherSide) {
    KT_REQUIRE_KERNEL_TESTS();
    KT_REQUIRE_NFT();
    ForgetfulNatLab lab(3, ForgetfulNatLab::Forget::drop);
    ASSERT_EQ(lab.error(), "");
    const int l = lab.listen_in_server();
    const int silent = lab.connect_from_client(local_port(l));
    const int probing = lab.connect_from_client(local_port(l));
    ASSERT_GE(silent, 0);
    ASSERT_GE(probing, 0);
    set_keepalive(probing, 1, 1, 3);
    ASSERT_EQ(send(silent, "S", 1, 0), 1);
    ASSERT_EQ(send(probing, "K", 1, 0), 1);
    int server_silent = -1, server_probing = -1;
    for (int i = 0; i < 2; ++i) {
        const int a = accept_one(l);
        char c = 0;
        ASSERT_EQ(recv(a, &c, 1, 0), 1);
        (c == 'S' ? server_silent : server_probing) = a;
    }
    sleep(5);  // past the NAT's 3 s; the prober has sent about four probes

    for (const auto& engine : engines()) {
        SCOPED_TRACE(engine);
        const bool sees_probes = engine == "bpf";
        const auto server = health_json({"--netns", lab.server.name(), "--path", "lab-nat=3s", "--engine", engine},
                                        sees_probes ? 1 : 0);
        const auto* kept = connection_of_inode(server, server_probing);
        if (sees_probes) {
            EXPECT_EQ(kept, nullptr) << "ok, so not listed: " << server.dump(1);
            const auto* dropped = connection_of_inode(server, server_silent);
            ASSERT_NE(dropped, nullptr) << server.dump(1);
            EXPECT_EQ((*dropped)["verdict"], "likely-dropped");
            EXPECT_EQ((*dropped)["tcp_info"]["peer_probes_visible"], true);
        } else {
            ASSERT_NE(kept, nullptr) << server.dump(1);
            EXPECT_EQ((*kept)["verdict"], "unverified");
            EXPECT_EQ((*kept)["tcp_info"]["peer_probes_visible"], false);
        }
        // The client's side: its own probes are answered.
        const auto client = health_json({"--netns", lab.client.name(), "--path", "lab-nat=3s", "--engine", engine},
                                        sees_probes ? 1 : 0);
        EXPECT_EQ(connection_from_port(client, local_port(probing)), nullptr) << client.dump(1);

        // reap by that verdict leaves the kept connection alone.
        const auto reap = run_tool({"--json", "reap", "--netns", lab.server.name(), "--path", "lab-nat=3s", "--engine",
                                    engine, "--verdict", "likely-dropped", "--dry-run"});
        ASSERT_EQ(reap.exit_code, 0) << reap.out << reap.err;
        const auto picked = nlohmann::json::parse(reap.out);
        EXPECT_EQ(connection_of_inode(picked, server_probing), nullptr) << picked.dump(1);
        EXPECT_EQ(picked["connections"].size(), sees_probes ? 1u : 0u) << picked.dump(1);
    }
    // The prediction holds: the probed connection still carries data both ways.
    ASSERT_EQ(send(probing, "y", 1, 0), 1);
    ASSERT_TRUE(wait_readable(server_probing, 3000));
    char c = 0;
    EXPECT_EQ(recv(server_probing, &c, 1, 0), 1);
    for (int fd : {l, silent, probing, server_silent, server_probing}) close(fd);
}

// health --prometheus writes the accepted connections per listening port, as check does.
TEST(HealthKernelTest, PrometheusOutputHasTheAcceptedConnectionsPerListeningPort) {
    KT_REQUIRE_KERNEL_TESTS();
    TestNetns ns;
    ASSERT_TRUE(ns.ok());
    int l = -1, c1 = -1, c2 = -1;
    ns.run_inside([&] {
        l = listen_on("127.0.0.1");
        c1 = connect_to("127.0.0.1", local_port(l));
        c2 = connect_to("127.0.0.1", local_port(l));
    });
    const int a1 = accept_one(l), a2 = accept_one(l);
    const auto r = run_tool({"health", "--netns", ns.name(), "--prometheus"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    const std::string sample = "keepalive_tune_port_connections{netns=\"" + ns.name() + "\",port=\"" +
                               std::to_string(local_port(l)) + "\",state=\"established\"} 2\n";
    EXPECT_NE(r.out.find(sample), std::string::npos) << r.out;
    for (int fd : {l, c1, c2, a1, a2}) close(fd);
}

// No --path given: a namespace whose own conntrack tracks flows has it on every path, with
// the established timeout read inside that namespace.
TEST(HealthKernelTest, TheNamespacesOwnConntrackIsOnEveryPath) {
    KT_REQUIRE_KERNEL_TESTS();
    KT_REQUIRE_NFT();
    TestNetns ns;
    ASSERT_TRUE(ns.ok());
    ASSERT_EQ(ns.exec("nft add table inet kt_ct && ip netns exec " + ns.name() +
                      " nft add chain inet kt_ct in '{ type filter hook input priority 0; ct state established accept; }'"
                      " && echo ok"),
              "ok\n");
    ns.exec("sysctl -qw net.netfilter.nf_conntrack_tcp_timeout_established=2");
    int l = -1, c = -1, live = -1;
    ns.run_inside([&] {
        l = listen_on("127.0.0.1");
        c = connect_to("127.0.0.1", local_port(l));
        live = connect_to("127.0.0.1", local_port(l));
    });
    const int a = accept_one(l), a_live = accept_one(l);
    sleep(3);
    // conntrack is seen on the path while it counts a flow: `live` refreshes its entry now, as
    // the idle one's expires (nf_conntrack_count is read at one instant).
    ASSERT_EQ(send(live, "x", 1, 0), 1);
    usleep(100 * 1000);
    // The default engine: the BPF iterator where it is built (it sees that the peer sends no
    // probes), else tcp_info alone, which cannot tell (unverified, exit 0).
    const bool sees_probes = KT_BPF_BUILT;
    const auto doc = health_json({"--netns", ns.name()}, sees_probes ? 1 : 0);
    ASSERT_EQ(doc["netns"].size(), 1u);
    EXPECT_EQ(doc["engine"], sees_probes ? "bpf" : "pidfd");
    EXPECT_EQ(doc["netns"][0]["conntrack"]["name"], "host-conntrack");
    EXPECT_EQ(doc["netns"][0]["conntrack"]["idle_timeout_ms"], 2000);
    const auto* d = connection_from_port(doc, local_port(c));
    ASSERT_NE(d, nullptr) << doc.dump(1);
    EXPECT_EQ((*d)["verdict"], sees_probes ? "likely-dropped" : "unverified");
    EXPECT_EQ((*d)["middlebox"]["name"], "host-conntrack");
    for (int fd : {l, c, a, live, a_live}) close(fd);
}


// Unacknowledged data toward a peer that stopped answering: retransmitting, and when the
// kernel will give up: the user timeout where one is set, the tcp_retries2 bound otherwise.
TEST(HealthKernelTest, DataToASilentPeerIsRetransmittingWithTheGiveUpTime) {
    KT_REQUIRE_KERNEL_TESTS();
    KT_REQUIRE_NFT();
    ForgetfulNatLab lab(60, ForgetfulNatLab::Forget::drop);
    ASSERT_EQ(lab.error(), "");
    const int l = lab.listen_in_server();
    const int bounded = lab.connect_from_client(local_port(l));
    const int unbounded = lab.connect_from_client(local_port(l));
    set_int_option(bounded, IPPROTO_TCP, TCP_USER_TIMEOUT, 8000);
    const int a1 = accept_one(l), a2 = accept_one(l);
    ASSERT_TRUE(lab.silence_server());
    ASSERT_EQ(send(bounded, "data", 4, 0), 4);
    ASSERT_EQ(send(unbounded, "data", 4, 0), 4);
    sleep(2);  // a few retransmissions

    for (const auto& engine : engines()) {
        SCOPED_TRACE(engine);
        const auto doc = health_json({"--netns", lab.client.name(), "--engine", engine}, 1);
        const auto* b = connection_from_port(doc, local_port(bounded));
        const auto* u = connection_from_port(doc, local_port(unbounded));
        ASSERT_NE(b, nullptr) << doc.dump(1);
        ASSERT_NE(u, nullptr) << doc.dump(1);
        EXPECT_EQ((*b)["verdict"], "retransmitting");
        EXPECT_EQ((*b)["gives_up_by"], "user-timeout");
        EXPECT_EQ((*b)["gives_up_after_ms"], 8000);
        EXPECT_GT((*b)["deadline_ms"], 4000);
        EXPECT_LT((*b)["deadline_ms"], 7000);
        EXPECT_EQ((*b)["exact"]["user_timeout_ms"], 8000);
        EXPECT_EQ((*u)["verdict"], "retransmitting");
        EXPECT_EQ((*u)["gives_up_by"], "tcp-retries2");
        EXPECT_EQ((*u)["gives_up_after_ms"], 924600);
        EXPECT_GE((*u)["tcp_info"]["retransmits"], 1);
    }
    for (int fd : {l, bounded, unbounded, a1, a2}) close(fd);
}

// An idle connection whose keepalive probes go unanswered: probing, n of count, and when it
// will be declared dead.
TEST(HealthKernelTest, UnansweredKeepaliveProbesAreProbing) {
    KT_REQUIRE_KERNEL_TESTS();
    KT_REQUIRE_NFT();
    ForgetfulNatLab lab(60, ForgetfulNatLab::Forget::drop);
    ASSERT_EQ(lab.error(), "");
    const int l = lab.listen_in_server();
    const int c = lab.connect_from_client(local_port(l));
    set_keepalive(c, 1, 1, 8);
    const int a = accept_one(l);
    ASSERT_TRUE(lab.silence_server());
    usleep(2600 * 1000);  // probes at 1 s and 2 s, both unanswered

    for (const auto& engine : engines()) {
        SCOPED_TRACE(engine);
        // probing is not yet a failure
        const auto doc = health_json({"--netns", lab.client.name(), "--engine", engine}, 0);
        const auto* p = connection_from_port(doc, local_port(c));
        ASSERT_NE(p, nullptr) << doc.dump(1);
        EXPECT_EQ((*p)["verdict"], "probing");
        // The iterator gives every connection its own values, owner or not.
        if (engine == "bpf") {
            EXPECT_EQ((*p)["exact"]["count"], 8);
        }
        EXPECT_NE((*p)["reason"].get<std::string>().find("of 8 keepalive probes unanswered"), std::string::npos) << (*p)["reason"];
        EXPECT_GT((*p)["deadline_ms"], 3000);
        EXPECT_LT((*p)["deadline_ms"], 8000);
    }
    for (int fd : {l, c, a}) close(fd);
}

}  // namespace
}  // namespace kt::test
