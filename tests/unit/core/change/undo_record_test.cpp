#include "core/change/undo_record.hpp"

#include <gtest/gtest.h>

#include "core/socket/ip_text.hpp"

namespace kt {
namespace {

SocketRef accepted_socket() {
    SocketRef s;
    s.pid = 1234;
    s.fd = 7;
    s.inode = 99887;
    s.role = SocketRole::accepted;
    s.state = 1;
    s.local = {*parse_ip_address("127.0.0.1"), 45001};
    s.peer = {*parse_ip_address("::ffff:127.0.0.1"), 48720};
    return s;
}

std::string v2_with_socket(const std::string& socket_fields) {
    return R"({"schema": "keepalive-tune.undo.v2", "profile": "x", "sysctls": [], "sockets": [{)" + socket_fields + "}]}";
}

constexpr const char* k_good_socket =
    R"("pid": 10, "fd": 8, "role": "upstream", "state": "established",
       "local": {"address": "127.0.0.1", "port": 1}, "peer": {"address": "127.0.0.1", "port": 2},
       "before": {"so_keepalive": false, "idle_seconds": 100, "interval_seconds": 30, "count": 4, "user_timeout_ms": 0})";

std::string v2_with_sysctl(const std::string& name, const std::string& value) {
    return R"({"schema": "keepalive-tune.undo.v2", "profile": "x", "sockets": [], "sysctls": [{"netns": "t", "netns_path": "/run/netns/t", "netns_inode": 5, "name": ")" +
           name + R"(", "value": )" + value + "}]}";
}

TEST(UndoRecordTest, RoundTripsRoleStateAndEndpointsThroughJson) {
    UndoRecord r;
    r.profile = "aws-nlb";
    r.sockets.push_back({accepted_socket(), true, {true, 60, 20, 2, 5000}});
    r.sysctls.push_back({"blue", "/run/netns/blue", 4026532000u, "net.ipv4.tcp_keepalive_time", 7200});
    auto back = undo_from_json(undo_to_json(r), "undo.json");
    ASSERT_TRUE(back.has_value()) << back.error().line();
    EXPECT_EQ(back->profile, "aws-nlb");
    ASSERT_EQ(back->sockets.size(), 1u);
    const auto& s = back->sockets[0].socket;
    EXPECT_EQ(s.inode, 99887u);
    EXPECT_EQ(s.role, SocketRole::accepted);
    EXPECT_EQ(s.state, 1);
    EXPECT_EQ(endpoint_string(s.local), "127.0.0.1:45001");
    EXPECT_EQ(endpoint_string(s.peer), "[::ffff:127.0.0.1]:48720");
    EXPECT_EQ(back->sockets[0].before, (SocketOptions{true, 60, 20, 2, 5000}));
    ASSERT_EQ(back->sysctls.size(), 1u);
    EXPECT_EQ(back->sysctls[0].value, 7200u);
    EXPECT_EQ(back->sysctls[0].netns_label, "blue");
}

TEST(UndoRecordTest, SysctlValuesAreIntegersInTheFile) {
    UndoRecord r;
    r.sysctls.push_back({"host", "", 1, "net.ipv4.tcp_keepalive_probes", 9});
    EXPECT_NE(undo_to_json(r).find("\"value\": 9"), std::string::npos) << undo_to_json(r);
}

TEST(UndoRecordTest, AZeroOrMissingInodeRefusesTheWholeFile) {
    auto zero = undo_from_json(v2_with_socket(std::string(k_good_socket) + R"(, "inode": 0)"), "u.json");
    ASSERT_FALSE(zero.has_value());
    EXPECT_EQ(zero.error().what, "u.json: /sockets/0/inode");
    EXPECT_NE(zero.error().why.find("not restoring anything"), std::string::npos) << zero.error().why;
    auto missing = undo_from_json(v2_with_socket(k_good_socket), "u.json");
    ASSERT_FALSE(missing.has_value());
    EXPECT_EQ(missing.error().what, "u.json: /sockets/0/inode");
    EXPECT_TRUE(undo_from_json(v2_with_socket(std::string(k_good_socket) + R"(, "inode": 12)"), "u.json").has_value());
}

TEST(UndoRecordTest, AQueuedConnectionHasNoFdNoInodeAndACookie) {
    UndoRecord r;
    auto s = accepted_socket();
    s.fd = -1;
    s.inode = 0;
    r.sockets.push_back({s, true, {false, 7200, 75, 9, 0}, 4391849});
    const auto text = undo_to_json(r);
    EXPECT_NE(text.find("\"fd\": null"), std::string::npos) << text;
    auto back = undo_from_json(text, "u.json");
    ASSERT_TRUE(back.has_value()) << back.error().line();
    EXPECT_EQ(back->sockets[0].cookie, 4391849u);
    EXPECT_EQ(back->sockets[0].socket.fd, -1);
    EXPECT_EQ(back->sockets[0].socket.inode, 0u);
    // Without a cookie, with an inode, or as anything but an accepted connection: refused.
    const std::string queued =
        R"("pid": 10, "fd": null, "role": "accepted", "state": "established",
       "local": {"address": "127.0.0.1", "port": 1}, "peer": {"address": "127.0.0.1", "port": 2},
       "before": {"so_keepalive": false, "idle_seconds": 100, "interval_seconds": 30, "count": 4, "user_timeout_ms": 0})";
    EXPECT_TRUE(undo_from_json(v2_with_socket(queued + R"(, "inode": 0, "cookie": 5)"), "u.json").has_value());
    auto no_cookie = undo_from_json(v2_with_socket(queued + R"(, "inode": 0)"), "u.json");
    ASSERT_FALSE(no_cookie.has_value());
    EXPECT_EQ(no_cookie.error().what, "u.json: /sockets/0/cookie");
    EXPECT_FALSE(undo_from_json(v2_with_socket(queued + R"(, "inode": 3, "cookie": 5)"), "u.json").has_value());
    std::string upstream = queued;
    upstream.replace(upstream.find("accepted"), 8, "upstream");
    auto wrong_role = undo_from_json(v2_with_socket(upstream + R"(, "inode": 0, "cookie": 5)"), "u.json");
    ASSERT_FALSE(wrong_role.has_value());
    EXPECT_EQ(wrong_role.error().what, "u.json: /sockets/0/fd");
}

TEST(UndoRecordTest, OnlyTheThreeKeepaliveSysctlsAreAccepted) {
    for (const char* name : {"net.ipv4.ip_local_port_range", "kernel.panic", "vm.overcommit_memory",
                             "net/ipv4/tcp_keepalive_time", "net.ipv4.tcp_keepalive_time/../../../kernel/panic"}) {
        auto r = undo_from_json(v2_with_sysctl(name, "7"), "u.json");
        ASSERT_FALSE(r.has_value()) << name;
        EXPECT_EQ(r.error().what, "u.json: /sysctls/0/name") << name;
    }
    EXPECT_TRUE(undo_from_json(v2_with_sysctl("net.ipv4.tcp_keepalive_intvl", "75"), "u.json").has_value());
}

TEST(UndoRecordTest, SysctlValuesOutsideAProfilesRangesAreRefused) {
    for (const char* value : {"0", "-5", "32768", "\"7200\"", "7200.5", "null"}) {
        auto r = undo_from_json(v2_with_sysctl("net.ipv4.tcp_keepalive_time", value), "u.json");
        ASSERT_FALSE(r.has_value()) << value;
        EXPECT_EQ(r.error().what, "u.json: /sysctls/0/value") << value;
    }
    EXPECT_FALSE(undo_from_json(v2_with_sysctl("net.ipv4.tcp_keepalive_probes", "128"), "u.json").has_value());
    EXPECT_TRUE(undo_from_json(v2_with_sysctl("net.ipv4.tcp_keepalive_probes", "127"), "u.json").has_value());
}

TEST(UndoRecordTest, SocketValuesOutsideTheKernelsRangesAreRefused) {
    std::string bad = k_good_socket;
    bad.replace(bad.find("\"count\": 4"), 10, "\"count\": 400");
    auto r = undo_from_json(v2_with_socket(bad + R"(, "inode": 12)"), "u.json");
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().what, "u.json: /sockets/0/before/count");
}

TEST(UndoRecordTest, ReadsFilesOfSchemaV1) {
    const char* v1 = R"({"schema": "keepalive-tune.undo.v1", "profile": "p", "sockets": [
        {"pid": 5, "fd": 3, "inode": 77, "listener": false, "local": "[::1]:80", "peer": "[::1]:5000",
         "before": {"so_keepalive": true, "idle_seconds": 7200, "interval_seconds": 75, "count": 9, "user_timeout_ms": 0}}],
        "sysctls": [{"netns_path": "", "netns_inode": 9, "name": "net.ipv4.tcp_keepalive_time", "value": "7200"}]})";
    auto r = undo_from_json(v1, "old.json");
    ASSERT_TRUE(r.has_value()) << r.error().line();
    EXPECT_FALSE(r->sockets[0].role_known);
    EXPECT_EQ(endpoint_string(r->sockets[0].socket.peer), "[::1]:5000");
    EXPECT_EQ(r->sysctls[0].value, 7200u);
    // v1's string values go through the same checks.
    std::string bad = v1;
    bad.replace(bad.find("\"value\": \"7200\""), 15, "\"value\": \"0\"");
    EXPECT_FALSE(undo_from_json(bad, "old.json").has_value());
}

TEST(UndoRecordTest, OtherFilesAreRefused) {
    EXPECT_EQ(undo_from_json(R"({"name": "aws-nlb"})", "p.json").error().why,
              "not a keepalive-tune undo file (schema keepalive-tune.undo.v2)");
    EXPECT_FALSE(undo_from_json(R"({"schema": "keepalive-tune.undo.v2", "sockets": [{"pid": 1}], "sysctls": []})", "u.json")
                     .has_value());
    EXPECT_FALSE(undo_from_json(R"({"schema": "keepalive-tune.undo.v2", "sockets": {}, "sysctls": []})", "u.json").has_value());
}

}  // namespace
}  // namespace kt
