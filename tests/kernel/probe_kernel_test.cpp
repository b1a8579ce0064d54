// probe on a path built for it: a NAT that forgets idle flows after a few seconds (black hole
// or reset), a server that closes idle connections itself, and no middlebox at all.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "support/nat_lab.hpp"
#include "support/netns.hpp"
#include "support/run_binary.hpp"
#include "support/sockets.hpp"
#include "support/temp_dir.hpp"

namespace kt::test {
namespace {

struct Probe {
    int exit_code = -1;
    nlohmann::json doc;
    std::string err;
};

Probe probe(const ForgetfulNatLab& lab, std::uint16_t port, const std::string& max, int connections) {
    const auto r = run_tool({"--json", "probe", std::string(ForgetfulNatLab::k_server) + ":" + std::to_string(port), "--netns",
                             lab.client.name(), "--max", max, "--connections", std::to_string(connections)});
    Probe p{r.exit_code, nlohmann::json(), r.err};
    if (!r.out.empty()) p.doc = nlohmann::json::parse(r.out);
    return p;
}

// Accepts connections and closes each after `close_after` without traffic, until stopped
// (at most 30 s).
class IdleClosingServer {
public:
    IdleClosingServer(int listener, std::chrono::milliseconds close_after)
        : m_thread([this, listener, close_after] {
              std::vector<std::pair<int, std::chrono::steady_clock::time_point>> open;
              const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(30);
              while (!m_stop && std::chrono::steady_clock::now() < end) {
                  pollfd p{listener, POLLIN, 0};
                  if (poll(&p, 1, 20) == 1) open.emplace_back(accept_one(listener), std::chrono::steady_clock::now());
                  for (auto& [fd, since] : open)
                      if (fd >= 0 && std::chrono::steady_clock::now() - since >= close_after) {
                          close(fd);
                          fd = -1;
                      }
              }
              for (auto& [fd, since] : open)
                  if (fd >= 0) close(fd);
          }) {}
    ~IdleClosingServer() {
        m_stop = true;
        m_thread.join();
    }

private:
    std::atomic<bool> m_stop{false};
    std::thread m_thread;
};

// The lab, and a listener in its server namespace.
struct ProbeLab {
    ProbeLab(int idle_timeout_s, ForgetfulNatLab::Forget forget) : lab(idle_timeout_s, forget) {
        if (lab.error().empty()) listener = lab.listen_in_server();
    }
    ~ProbeLab() {
        if (listener >= 0) close(listener);
    }
    std::uint16_t port() const { return local_port(listener); }
    ForgetfulNatLab lab;
    int listener = -1;
};

void expect_bracket_around_3s(const Probe& p, const char* drop) {
    ASSERT_EQ(p.exit_code, 0) << p.doc.dump(1) << p.err;
    const int survived = p.doc["survived_seconds"], forgotten = p.doc["forgotten_seconds"];
    // The NAT forgets after 3 s: a probe at 2 s is answered, one at 4 s is not; at 3 s it races.
    EXPECT_GE(survived, 2) << p.doc.dump(1);
    EXPECT_LE(survived, 3) << p.doc.dump(1);
    EXPECT_EQ(forgotten, survived + 1) << p.doc.dump(1);
    EXPECT_EQ(p.doc["drop"], drop);
    EXPECT_TRUE(p.doc["measured"]);
    EXPECT_NE(p.err.find("probe: round 1:"), std::string::npos) << "progress while it waits: " << p.err;
}

TEST(ProbeKernelTest, BracketsASilentNatTimeoutWithinASecond) {
    KT_REQUIRE_KERNEL_TESTS();
    KT_REQUIRE_NFT();
    ProbeLab t(3, ForgetfulNatLab::Forget::drop);
    ASSERT_EQ(t.lab.error(), "");
    const auto p = probe(t.lab, t.port(), "8s", 8);
    expect_bracket_around_3s(p, "silent");
    // Idles past the first forgotten one are closed without waiting.
    EXPECT_EQ(p.doc["connections"].size() + p.doc["closed_early"].get<std::size_t>(), 8u);
    EXPECT_GT(p.doc["closed_early"], 0);
    EXPECT_NE(p.doc["notes"][0].get<std::string>().find("black-holed"), std::string::npos);
    // Its connections are gone: nothing of the probe is left in the client's namespace.
    EXPECT_EQ(t.lab.client.exec("ss -tanH state established | wc -l"), "0\n");
}

TEST(ProbeKernelTest, ANatThatResetsForgottenFlowsIsNamedAsSuch) {
    KT_REQUIRE_KERNEL_TESTS();
    KT_REQUIRE_NFT();
    ProbeLab t(3, ForgetfulNatLab::Forget::reset);
    ASSERT_EQ(t.lab.error(), "");
    expect_bracket_around_3s(probe(t.lab, t.port(), "6s", 6), "reset");
}

TEST(ProbeKernelTest, AServerThatClosesIdleConnectionsFirstIsReportedWithWhen) {
    KT_REQUIRE_KERNEL_TESTS();
    KT_REQUIRE_NFT();
    ProbeLab t(60, ForgetfulNatLab::Forget::drop);
    ASSERT_EQ(t.lab.error(), "");
    IdleClosingServer server(t.listener, std::chrono::milliseconds(1500));
    // Idles 1..6 s: the 1 s probe is answered before the server closes at 1.5 s.
    const auto some = probe(t.lab, t.port(), "6s", 6);
    EXPECT_EQ(some.exit_code, 0) << some.doc.dump(1) << some.err;
    EXPECT_GE(some.doc["far_end_closes_after_ms"], 1300);
    EXPECT_LE(some.doc["far_end_closes_after_ms"], 1900);
    bool noted = false;
    for (const auto& n : some.doc["notes"]) noted = noted || n.get<std::string>().find("closed by the far end") != std::string::npos;
    EXPECT_TRUE(noted) << some.doc["notes"].dump();
    EXPECT_EQ(some.doc["limited_by"], "far-end") << some.doc.dump(1);
    EXPECT_TRUE(some.doc["profiles_that_beat_it"].empty()) << "keepalive cannot beat the server's own close";
    EXPECT_EQ(some.doc["headline"].get<std::string>().find("every connection's flow was still known"), std::string::npos)
        << some.doc["headline"];
    // Idles of 2 s and more: every connection is closed before its first probe.
    const auto none = probe(t.lab, t.port(), "8s", 4);
    EXPECT_EQ(none.exit_code, 1) << none.doc.dump(1);
    EXPECT_FALSE(none.doc["measured"]);
    EXPECT_EQ(none.doc["bracket"], "not measured");
    EXPECT_EQ(none.doc["limited_by"], "far-end");
    EXPECT_EQ(none.doc["headline"], "idle timeout not measured: the far end closed every connection before its first keepalive probe");
}

TEST(ProbeKernelTest, WithoutAMiddleboxNoTimeoutIsFoundUpToTheMaximum) {
    KT_REQUIRE_KERNEL_TESTS();
    KT_REQUIRE_NFT();
    ProbeLab t(60, ForgetfulNatLab::Forget::drop);
    ASSERT_EQ(t.lab.error(), "");
    const auto p = probe(t.lab, t.port(), "4s", 4);
    EXPECT_EQ(p.exit_code, 0) << p.doc.dump(1) << p.err;
    EXPECT_EQ(p.doc["survived_seconds"], 4);
    EXPECT_TRUE(p.doc["forgotten_seconds"].is_null());
    EXPECT_EQ(p.doc["bracket"], "none up to 4s");
    EXPECT_EQ(p.doc["limited_by"], "none");
    EXPECT_EQ(p.doc["headline"], "no idle timeout up to 4s: every connection's flow was still known after its idle (--max 4s)");
}

TEST(ProbeKernelTest, SigtermClosesEveryConnectionItOpened) {
    KT_REQUIRE_KERNEL_TESTS();
    KT_REQUIRE_NFT();
    ProbeLab t(60, ForgetfulNatLab::Forget::drop);
    ASSERT_EQ(t.lab.error(), "");
    const auto& lab = t.lab;
    const std::string to = std::string(ForgetfulNatLab::k_server) + ":" + std::to_string(t.port());
    const std::string ns = lab.client.name();
    TempDir dir;
    const std::string report = dir.path() + "/probe.json";
    ChildProcess run([&](int) {
        const int fd = ::open(report.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0 || ::dup2(fd, 1) < 0) _exit(126);
        execl(tool_path().c_str(), "keepalive-tune", "--json", "probe", to.c_str(), "--netns", ns.c_str(), "--max", "30s",
              "--connections", "6", static_cast<char*>(nullptr));
        _exit(127);
    });
    bool open = false;
    for (int i = 0; i < 30 && !open; ++i) {
        usleep(100 * 1000);
        open = lab.client.exec("ss -tanH state established | wc -l") == "6\n";
    }
    ASSERT_TRUE(open) << "the probe's six connections";
    kill(run.pid(), SIGTERM);
    int status = 0;
    for (int i = 0; i < 30 && waitpid(run.pid(), &status, WNOHANG) == 0; ++i) usleep(100 * 1000);
    EXPECT_TRUE(WIFEXITED(status)) << status;
    EXPECT_EQ(WEXITSTATUS(status), 1);
    EXPECT_EQ(lab.client.exec("ss -tanH state established | wc -l"), "0\n");
    std::ifstream in(report);
    const auto doc = nlohmann::json::parse(in, nullptr, false);
    ASSERT_FALSE(doc.is_discarded()) << "the report of an interrupted run is still one JSON document";
    EXPECT_EQ(doc["interrupted"], true);
    EXPECT_EQ(doc["limited_by"], "interrupted");
    EXPECT_EQ(doc["headline"], "idle timeout not measured: interrupted before any connection's first keepalive probe");
}

TEST(ProbeKernelTest, BadInputAndARefusingDestinationAreOneLineAndExit2) {
    KT_REQUIRE_KERNEL_TESTS();
    KT_REQUIRE_NFT();
    ForgetfulNatLab lab(60, ForgetfulNatLab::Forget::drop);
    ASSERT_EQ(lab.error(), "");
    const std::string server = ForgetfulNatLab::k_server;
    const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
        {{"probe", server + ":1", "--netns", lab.client.name(), "--max", "4s"}, "connect to 10.231.2.2:1: Connection refused"},
        {{"probe", server, "--netns", lab.client.name()}, "10.231.2.2: expected HOST:PORT"},
        {{"probe", server + ":0"}, "10.231.2.2:0: the port must be 1..65535"},
        {{"probe", server + ":80", "--connections", "0"}, "--connections: 0 is out of range 2..64"},
        {{"probe", server + ":80", "--connections", "1000"}, "--connections: 1000 is out of range 2..64"},
        {{"probe", server + ":80", "--max", "1s"}, "--max 1s: must be 2s..2h"},
        {{"probe", server + ":80", "--max", "soon"}, "--max: \"soon\" is not a duration"},
        {{"probe", server + ":80", "--from", "::1"}, "--from ::1: is not of the destination's address family"},
    };
    for (const auto& [args, error] : cases) {
        const auto r = run_tool(args);
        EXPECT_EQ(r.exit_code, 2) << error << "\n" << r.out << r.err;
        EXPECT_TRUE(r.err.starts_with("keepalive-tune: error: " + error)) << "want: " << error << "\ngot: " << r.err;
        EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    }
    EXPECT_EQ(lab.client.exec("ss -tanH | wc -l"), "0\n") << "a refused probe leaves nothing open";
}

}  // namespace
}  // namespace kt::test
