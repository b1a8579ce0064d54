// inspect agrees with ss(8), an outside reference, on a mixed population of a few hundred
// sockets in a namespace of the test's own: the same sockets, states and timer kinds.
#include <gtest/gtest.h>
#include <unistd.h>

#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "support/netns.hpp"
#include "support/run_binary.hpp"
#include "support/sockets.hpp"

namespace kt::test {
namespace {

const std::map<std::string, std::string> k_ss_states = {
    {"ESTAB", "established"},    {"LISTEN", "listening"},   {"TIME-WAIT", "time-wait"}, {"FIN-WAIT-1", "fin-wait-1"},
    {"FIN-WAIT-2", "fin-wait-2"}, {"CLOSE-WAIT", "close-wait"}, {"LAST-ACK", "last-ack"}, {"SYN-SENT", "syn-sent"},
    {"SYN-RECV", "syn-recv"},     {"CLOSING", "closing"},     {"UNCONN", "closed"}};
const std::map<std::string, std::string> k_ss_timers = {
    {"keepalive", "keepalive"}, {"timewait", "time-wait"}, {"on", "retransmit"}, {"persist", "zero-window"}};

int port_of(const std::string& endpoint) {
    const auto colon = endpoint.rfind(':');
    const std::string p = endpoint.substr(colon + 1);
    return p == "*" ? 0 : std::stoi(p);
}

struct Seen {
    std::map<std::string, int> states;
    std::map<std::string, std::string> timer_of;  // "state lport->pport" -> timer kind
};

Seen from_ss(const std::string& text) {
    Seen seen;
    std::istringstream lines(text);
    std::string line;
    while (std::getline(lines, line)) {
        std::istringstream f(line);
        std::string state, recvq, sendq, local, peer, rest;
        if (!(f >> state >> recvq >> sendq >> local >> peer)) continue;
        std::string timer = "none";
        if (f >> rest && rest.starts_with("timer:(")) {
            const auto kind = rest.substr(7, rest.find(',') - 7);
            timer = k_ss_timers.count(kind) ? k_ss_timers.at(kind) : kind;
        }
        const std::string s = k_ss_states.count(state) ? k_ss_states.at(state) : state;
        ++seen.states[s];
        seen.timer_of[s + " " + std::to_string(port_of(local)) + "->" + std::to_string(port_of(peer))] = timer;
    }
    return seen;
}

Seen from_inspect(const nlohmann::json& doc) {
    Seen seen;
    for (const auto& s : doc["sockets"]) {
        const std::string state = s["state"];
        ++seen.states[state];
        seen.timer_of[state + " " + std::to_string(s["local"]["port"].get<int>()) + "->" +
                      std::to_string(s["peer"]["port"].get<int>())] = s["timer"]["kind"];
    }
    return seen;
}

TEST(SsAgreementTest, CountsByStateAndTimerKindsMatchSsOnTheSameSockets) {
    KT_REQUIRE_KERNEL_TESTS();
    if (access("/usr/bin/ss", X_OK) != 0 && access("/bin/ss", X_OK) != 0) GTEST_SKIP() << "needs iproute2's ss";
    TestNetns ns;
    ASSERT_TRUE(ns.ok());
    std::vector<int> fds;
    ns.run_inside([&] {
        const int l4 = listen_on("127.0.0.1", 0, 1024);
        const int l6 = listen_on("::", 0, 1024);
        fds = {l4, l6};
        const auto p4 = local_port(l4), p6 = local_port(l6);
        for (int i = 0; i < 150; ++i) {
            const bool v6 = i % 2 == 1;
            const int c = connect_to(v6 ? "::1" : "127.0.0.1", v6 ? p6 : p4);
            const int a = accept_one(v6 ? l6 : l4);
            if (i % 3 == 0) set_keepalive(c, 100 + i, 10, 3);
            if (i % 7 == 0) set_keepalive(a, 200, 10, 3);
            if (i < 40) {  // client closes first: TIME_WAIT on the client side
                close(c);
                close(a);
            } else if (i < 60) {  // server closes, client does not: FIN_WAIT2 and CLOSE_WAIT
                close(a);
                fds.push_back(c);
            } else {
                fds.push_back(c);
                fds.push_back(a);
            }
        }
    });
    usleep(200 * 1000);  // let the FINs and ACKs settle on loopback
    const auto doc = nlohmann::json::parse(run_tool({"--json", "inspect", "--netns", ns.name(), "--state", "all"}).out);
    const std::string ss_text = ns.exec("ss -tanoH");
    for (int fd : fds) close(fd);

    const Seen mine = from_inspect(doc);
    const Seen theirs = from_ss(ss_text);
    EXPECT_GT(doc["sockets"].size(), 250u);
    EXPECT_EQ(mine.states, theirs.states);
    EXPECT_EQ(mine.timer_of, theirs.timer_of);
    EXPECT_GE(mine.states.at("time-wait"), 40);
    EXPECT_GE(mine.states.at("close-wait"), 20);
}

}  // namespace
}  // namespace kt::test
