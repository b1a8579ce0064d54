// `profile render`'s snippets in the real programs: nginx and HAProxy run a configuration that
// contains the rendered snippet (checked with nginx -t and haproxy -c first), in a namespace the
// test creates, and keepalive-tune reads the rendered values back from their sockets: nginx's
// listening socket, HAProxy's accepted connection and its upstream connection to a test backend.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "support/netns.hpp"
#include "support/proxy_in_netns.hpp"
#include "support/run_binary.hpp"
#include "support/snippet_check.hpp"
#include "support/sockets.hpp"
#include "support/temp_dir.hpp"

namespace kt::test {
namespace {

#define KT_REQUIRE_PROGRAM(path)                                                   \
    do {                                                                          \
        if (access(path, X_OK) != 0) GTEST_SKIP() << path << " is not installed"; \
    } while (0)

// Values no default has: each one read back proves the snippet set it.
std::string write_profile(const TempDir& d) {
    return d.write("rendered.json",
                   R"({"name": "rendered", "summary": "t", "description": "t", "keepalive": {"enabled": true, )"
                   R"("idle_seconds": 41, "interval_seconds": 7, "count": 5}, "user_timeout_ms": 12000})");
}

std::string replace(std::string text, const std::string& from, const std::string& to) {
    const auto at = text.find(from);
    EXPECT_NE(at, std::string::npos) << from << " not in:\n" << text;
    if (at != std::string::npos) text.replace(at, from.size(), to);
    return text;
}

// The sockets of `pid` as `inspect --exact --json` reads them.
nlohmann::json sockets_of(pid_t pid) {
    auto r = run_tool({"--json", "inspect", "--exact", "--pid", std::to_string(pid)});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return nlohmann::json::parse(r.out.empty() ? "{}" : r.out)["sockets"];
}

const nlohmann::json* find_socket(const nlohmann::json& sockets, const std::string& state, const char* side, int port) {
    for (const auto& s : sockets)
        if (s["state"] == state && s[side]["port"] == port) return &s;
    return nullptr;
}

TEST(RenderRunningTest, NginxRunningTheRenderedListenLineHasTheValuesOnItsListeningSocket) {
    KT_REQUIRE_KERNEL_TESTS();
    KT_REQUIRE_PROGRAM("/usr/sbin/nginx");
    TestNetns ns;
    ASSERT_TRUE(ns.ok());
    TempDir dir;
    const auto snippets = render_snippets(write_profile(dir), "nginx", "downstream");
    ASSERT_FALSE(snippets.empty());
    const auto server = replace(snippets[0].text, "listen 8080 ", "listen 127.0.0.1:18110 ");
    const auto conf = dir.write("nginx.conf", "daemon off;\nworker_processes 1;\npid " + dir.path() +
                                                  "/nginx.pid;\nevents { worker_connections 64; }\nhttp {\n"
                                                  "    access_log off;\n" +
                                                  server + "}\n");
    const auto checked = run_program({"/usr/sbin/nginx", "-t", "-q", "-e", dir.path() + "/error.log", "-c", conf});
    ASSERT_EQ(checked.exit_code, 0) << checked.err << server;
    ProxyInNetns nginx(ns, {"/usr/sbin/nginx", "-e", dir.path() + "/error.log", "-c", conf}, dir.path() + "/out.log");
    ASSERT_TRUE(wait_for_listeners(ns, {18110})) << shell("cat " + dir.path() + "/error.log");

    const auto sockets = sockets_of(nginx.pid());
    const auto* l = find_socket(sockets, "listening", "local", 18110);
    ASSERT_NE(l, nullptr) << sockets.dump(1);
    const auto& e = (*l)["exact"];
    EXPECT_EQ(e["so_keepalive"], true);
    EXPECT_EQ(e["idle_seconds"], 41);
    EXPECT_EQ(e["interval_seconds"], 7);
    EXPECT_EQ(e["count"], 5);
    EXPECT_EQ(e["user_timeout_ms"], 0) << "nginx has no directive for TCP_USER_TIMEOUT, as the snippet says";
}

TEST(RenderRunningTest, HaproxyRunningTheRenderedSectionsGivesBothSidesTheValues) {
    KT_REQUIRE_KERNEL_TESTS();
    KT_REQUIRE_PROGRAM("/usr/sbin/haproxy");
    TestNetns ns;
    ASSERT_TRUE(ns.ok());
    TempDir dir;
    const auto snippets = render_snippets(write_profile(dir), "haproxy", "both");
    ASSERT_FALSE(snippets.empty());
    std::string cfg = replace(snippets[0].text, "bind :8080 ", "bind 127.0.0.1:18120 ");
    cfg = replace(cfg, "server app1 127.0.0.1:8081 ", "server app1 127.0.0.1:18121 ");
    // The test's own sockets speak no HTTP.
    cfg = replace(cfg, "\n    mode http\n", "\n    mode tcp\n");
    const auto file = dir.write("haproxy.cfg", cfg);
    const auto checked = run_program({"/usr/sbin/haproxy", "-c", "-f", file});
    ASSERT_EQ(checked.exit_code, 0) << checked.err << cfg;

    // The backend and the client are the test's own sockets, in the namespace.
    int backend = -1, client = -1, accepted = -1;
    ns.run_inside([&] { backend = listen_on("127.0.0.1", 18121); });
    ASSERT_GE(backend, 0);
    ProxyInNetns haproxy(ns, {"/usr/sbin/haproxy", "-db", "-f", file}, dir.path() + "/out.log");
    ASSERT_TRUE(wait_for_listeners(ns, {18120})) << shell("cat " + dir.path() + "/out.log");
    ns.run_inside([&] { client = connect_to("127.0.0.1", 18120); });
    ASSERT_GE(client, 0);
    ASSERT_EQ(send(client, "x", 1, 0), 1);  // HAProxy connects to the server on the first data
    accepted = accept_one(backend);
    ASSERT_GE(accepted, 0);

    const auto sockets = sockets_of(haproxy.pid());
    const auto* listener = find_socket(sockets, "listening", "local", 18120);
    const auto* from_client = find_socket(sockets, "established", "local", 18120);
    const auto* to_server = find_socket(sockets, "established", "peer", 18121);
    ASSERT_NE(listener, nullptr) << sockets.dump(1);
    ASSERT_NE(from_client, nullptr) << sockets.dump(1);
    ASSERT_NE(to_server, nullptr) << sockets.dump(1);
    EXPECT_EQ((*listener)["exact"]["user_timeout_ms"], 12000);  // bind ... tcp-ut 12s
    for (const auto* s : {from_client, to_server}) {
        const auto& e = (*s)["exact"];
        EXPECT_EQ(e["so_keepalive"], true) << s->dump();
        EXPECT_EQ(e["idle_seconds"], 41) << s->dump();
        EXPECT_EQ(e["interval_seconds"], 7) << s->dump();
        EXPECT_EQ(e["count"], 5) << s->dump();
    }
    EXPECT_EQ((*to_server)["exact"]["user_timeout_ms"], 12000);  // server ... tcp-ut 12s
    for (int fd : {client, accepted, backend}) close(fd);
}

// The Go snippet for the Go of Debian 12 (1.19, before net.KeepAliveConfig), built with that Go
// into a program that listens, dials itself and accepts, in a namespace of the test's own: the
// listener, the connection it made and the one it accepted carry the profile.
TEST(RenderRunningTest, AGoProgramBuiltWithTheRenderedSnippetHasTheValuesOnEverySocket) {
    KT_REQUIRE_KERNEL_TESTS();
    if (std::string(KT_GO).empty()) GTEST_SKIP() << "go is not installed (scripts/install-deps --tests installs golang-go)";
    TestNetns ns;
    ASSERT_TRUE(ns.ok());
    TempDir dir;
    const auto snippets = render_snippets(write_profile(dir), "go", "both", {"--go-version", "1.19"});
    ASSERT_FALSE(snippets.empty());
    ASSERT_EQ(mkdir((dir.path() + "/keepalive").c_str(), 0755), 0);
    dir.write("keepalive/keepalive.go", snippets[0].text);
    dir.write("go.mod", "module kttest\n\ngo 1.19\n");
    dir.write("main.go",
              "package main\n\nimport (\n\t\"context\"\n\t\"fmt\"\n\t\"os\"\n\t\"time\"\n\n\t\"kttest/keepalive\"\n)\n\n"
              "func main() {\n"
              "\tln, err := keepalive.Listen.Listen(context.Background(), \"tcp\", \"127.0.0.1:18130\")\n"
              "\tif err != nil {\n\t\tfmt.Fprintln(os.Stderr, err)\n\t\tos.Exit(1)\n\t}\n"
              "\tc, err := keepalive.Dial.Dial(\"tcp\", \"127.0.0.1:18130\")\n"
              "\tif err != nil {\n\t\tfmt.Fprintln(os.Stderr, err)\n\t\tos.Exit(1)\n\t}\n"
              "\ta, err := ln.Accept()\n"
              "\tif err != nil {\n\t\tfmt.Fprintln(os.Stderr, err)\n\t\tos.Exit(1)\n\t}\n"
              "\tfmt.Println(\"ready\", c.LocalAddr(), a.RemoteAddr())\n"
              "\ttime.Sleep(120 * time.Second)\n}\n");
    // Offline: the module has no dependencies; the cache is the one the enforce tests' Go client
    // was built with.
    const auto built = run_program({"/bin/sh", "-c",
                                    "cd " + dir.path() + " && GOCACHE=" + std::string(KT_GO_CACHE) + " GOPATH=" +
                                        dir.path() + "/gopath HOME=" + dir.path() +
                                        " GO111MODULE=on GOFLAGS=-mod=mod GOPROXY=off " + KT_GO +
                                        " build -o program ."});
    ASSERT_EQ(built.exit_code, 0) << built.out << built.err << snippets[0].text;

    ProxyInNetns program(ns, {dir.path() + "/program"}, dir.path() + "/out.log");
    nlohmann::json sockets;
    for (int i = 0; i < 100; ++i) {  // at most 10 s for the listener and both ends
        sockets = sockets_of(program.pid());
        if (sockets.size() >= 3) break;
        usleep(100 * 1000);
    }
    const auto* listener = find_socket(sockets, "listening", "local", 18130);
    const auto* accepted = find_socket(sockets, "established", "local", 18130);
    const auto* dialed = find_socket(sockets, "established", "peer", 18130);
    ASSERT_NE(listener, nullptr) << sockets.dump(1) << shell("cat " + dir.path() + "/out.log");
    ASSERT_NE(accepted, nullptr) << sockets.dump(1);
    ASSERT_NE(dialed, nullptr) << sockets.dump(1);
    for (const auto* s : {listener, accepted, dialed}) {
        const auto& e = (*s)["exact"];
        EXPECT_EQ(e["so_keepalive"], true) << s->dump();
        EXPECT_EQ(e["idle_seconds"], 41) << s->dump();
        EXPECT_EQ(e["interval_seconds"], 7) << s->dump();
        EXPECT_EQ(e["count"], 5) << s->dump();
        EXPECT_EQ(e["user_timeout_ms"], 12000) << s->dump();
    }
}

}  // namespace
}  // namespace kt::test
