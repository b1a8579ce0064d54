// timewait against the kernel: TIME_WAIT made on purpose in a test namespace, from closes on
// both sides, checked against /proc/net/sockstat and against ss(8) on the same namespace.
#include <gtest/gtest.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "support/netns.hpp"
#include "support/run_binary.hpp"
#include "support/sockets.hpp"

namespace kt::test {
namespace {

// Closes `n` connections to address:port; the client closes first unless `server_closes`.
void churn(const std::string& address, std::uint16_t port, int listener, int n, bool server_closes) {
    for (int i = 0; i < n; ++i) {
        const int c = connect_to(address, port);
        const int a = accept_one(listener);
        close(server_closes ? a : c);
        usleep(2000);
        close(server_closes ? c : a);
    }
}

int ss_count(const TestNetns& ns, const std::string& filter) {
    return std::stoi(ns.exec("ss -tanH state time-wait " + filter + " | wc -l"));
}

TEST(TimewaitKernelTest, TotalsAgreeWithSockstatAndGroupsWithSs) {
    KT_REQUIRE_KERNEL_TESTS();
    TestNetns ns;
    ASSERT_TRUE(ns.ok());
    std::vector<int> listeners;
    ns.run_inside([&] {
        const int web = listen_on("127.0.0.1", 8080);
        const int db = listen_on("127.0.0.3", 7070);
        const int api = listen_on("127.0.0.2", 9090);
        listeners = {web, db, api};
        churn("127.0.0.1", 8080, web, 30, false);
        churn("127.0.0.3", 7070, db, 20, false);
        churn("127.0.0.2", 9090, api, 15, true);
    });
    usleep(100 * 1000);
    auto r = run_tool({"--json", "timewait", "--netns", ns.name()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto doc = nlohmann::json::parse(r.out);
    const auto& n = doc["netns"][0];
    EXPECT_EQ(n["time_wait"], 65);
    EXPECT_EQ(n["sockstat_time_wait"], n["time_wait"]);
    std::map<std::string, int> clients;
    for (const auto& c : n["clients"]) clients[c["peer"].get<std::string>()] = c["time_wait"].get<int>();
    EXPECT_EQ(clients["127.0.0.1:8080"], ss_count(ns, "dst 127.0.0.1:8080"));
    EXPECT_EQ(clients["127.0.0.3:7070"], ss_count(ns, "dst 127.0.0.3:7070"));
    EXPECT_EQ(clients["127.0.0.1:8080"], 30);
    ASSERT_EQ(n["servers"].size(), 1u);
    EXPECT_EQ(n["servers"][0]["port"], 9090);
    EXPECT_EQ(n["servers"][0]["time_wait"].get<int>(), ss_count(ns, "sport = :9090"));
    EXPECT_EQ(n["servers"][0]["time_wait"], 15);
    for (int fd : listeners) close(fd);
}

TEST(TimewaitKernelTest, PortPressureCountsEstablishedConnectionsTowardADestinationWithTimeWait) {
    KT_REQUIRE_KERNEL_TESTS();
    TestNetns ns;
    ASSERT_TRUE(ns.ok());
    ns.exec("sysctl -qw net.ipv4.ip_local_port_range='40000 40099'");
    std::vector<int> fds;
    ns.run_inside([&] {
        const int db = listen_on("127.0.0.5", 5432);
        const int other = listen_on("127.0.0.6", 6000);
        fds = {db, other};
        churn("127.0.0.5", 5432, db, 10, false);
        for (int i = 0; i < 20; ++i) {  // held open: ports in use toward the same destination
            fds.push_back(connect_to("127.0.0.5", 5432));
            fds.push_back(accept_one(db));
        }
        for (int i = 0; i < 5; ++i) {  // established elsewhere, no TIME_WAIT: not a destination here
            fds.push_back(connect_to("127.0.0.6", 6000));
            fds.push_back(accept_one(other));
        }
    });
    auto r = run_tool({"--json", "timewait", "--netns", ns.name()});
    for (int fd : fds) close(fd);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto doc = nlohmann::json::parse(r.out);
    const auto& clients = doc["netns"][0]["clients"];
    ASSERT_EQ(clients.size(), 1u) << r.out;
    EXPECT_EQ(clients[0]["peer"], "127.0.0.5:5432");
    EXPECT_EQ(clients[0]["time_wait"], 10);
    EXPECT_EQ(clients[0]["ports_in_use"], 30);
    EXPECT_DOUBLE_EQ(clients[0]["port_pressure"].get<double>(), 0.3);
}

TEST(TimewaitKernelTest, PrometheusOutputHasHelpTypeAndBoundedDestinations) {
    KT_REQUIRE_KERNEL_TESTS();
    TestNetns ns;
    ASSERT_TRUE(ns.ok());
    std::vector<int> listeners;
    ns.run_inside([&] {
        for (int i = 0; i < 5; ++i) {
            const std::string address = "127.0.1." + std::to_string(i + 1);
            listeners.push_back(listen_on(address, 8000));
            churn(address, 8000, listeners.back(), 3, false);
        }
    });
    auto r = run_tool({"timewait", "--netns", ns.name(), "--prometheus", "--top", "2"});
    for (int fd : listeners) close(fd);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("# TYPE keepalive_tune_time_wait_sockets gauge"), std::string::npos);
    EXPECT_NE(r.out.find("keepalive_tune_time_wait_sockets{netns=\"" + ns.name() + "\"} 15"), std::string::npos) << r.out;
    int series = 0;
    for (std::size_t at = 0; (at = r.out.find("keepalive_tune_destination_time_wait_sockets{", at)) != std::string::npos; ++at) ++series;
    EXPECT_EQ(series, 3);  // top 2 and "other"
    EXPECT_NE(r.out.find("peer=\"other\"} 9"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace kt::test
