// `inspect` on bad input: one clear line, exit 2, nothing printed on stdout.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "support/run_binary.hpp"
#include "support/temp_dir.hpp"

namespace kt::test {
namespace {

struct BadInput {
    std::vector<std::string> args;
    std::string error;  // expected start of stderr after "keepalive-tune: error: "
};

TEST(InspectCommandTest, BadInputIsOneLineAndExit2) {
    const std::vector<BadInput> cases = {
        {{"--state", "establshed"}, "--state establshed: unknown state (did you mean \"established\"?)"},
        {{"--sport", "70000"}, "--sport 70000: not a port or range"},
        {{"--dport", "9-1"}, "--dport 9-1: the range is empty"},
        {{"--peer", "10.0.0.0/40"}, "--peer 10.0.0.0/40: prefix length must be 0..32"},
        {{"--local", "localhost"}, "--local localhost: not an IPv4 or IPv6 address"},
        {{"-4", "-6"}, "-4 and -6: give at most one of them"},
        {{"-4", "--peer", "::1"}, "--peer ::1: is not an ipv4 address"},
        {{"--role", "client"}, "--role client: unknown role"},
        {{"--keepalive", "maybe"}, "--keepalive maybe: must be on, off or unknown"},
        {{"--netns", "kt-no-such-netns"}, "--netns kt-no-such-netns: No such file or directory"},
        {{"--netns", "x", "--all-netns"}, "--netns, --netns-of, --all-netns, --pod and --container: give at most one of them"},
        {{"--pod", "x", "--container", "ab"}, "--netns, --netns-of, --all-netns, --pod and --container: give at most one of them"},
        {{"--replay", "/etc/passwd", "--pod", "x"}, "--replay: reads a saved dump; it cannot be combined with --netns options"},
        {{"--replay", "/nonexistent/dump.bin"}, "/nonexistent/dump.bin: No such file or directory"},
        {{"--exact", "--summary"}, "--exact: adds per-socket columns"},
        {{"--stat", "all"}, "--stat: unknown option (did you mean \"--state\"?)"},
        {{"--state", ""}, "--state: empty value"},
        {{"--comm", "kt-no-such-comm"}, "--comm kt-no-such-comm: no process has this name"},
        {{"--pid", "4194304"}, "--pid 4194304: no such process"},
        {{"--replay", "/etc/passwd"}, "/etc/passwd: not a reply saved with --dump-raw (truncated netlink message"},
        {{"--netns", "/etc/passwd"}, "--netns /etc/passwd: is not a namespace file"},
    };
    for (const auto& c : cases) {
        auto r = run_tool([&] {
            std::vector<std::string> a{"inspect"};
            a.insert(a.end(), c.args.begin(), c.args.end());
            return a;
        }());
        EXPECT_EQ(r.exit_code, 2) << c.error;
        EXPECT_EQ(r.out, "") << c.error;
        EXPECT_TRUE(r.err.starts_with("keepalive-tune: error: " + c.error)) << "got: " << r.err;
        EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    }
}

TEST(InspectCommandTest, ReplayOfTheSavedReplyPrintsATableAndValidJson) {
    const std::string saved = source_dir() + "/tests/data/dump-mixed.bin";
    auto table = run_tool({"inspect", "--replay", saved, "--state", "all"});
    ASSERT_EQ(table.exit_code, 0) << table.err;
    EXPECT_TRUE(table.out.starts_with("STATE       ROLE     LOCAL")) << table.out;
    EXPECT_NE(table.out.find("established upstream 127.0.0.1:35772         127.0.0.1:8080           armed"),
              std::string::npos)
        << table.out;
    EXPECT_NE(table.out.find("established accepted [::ffff:127.0.0.1]:8443 [::ffff:127.0.0.1]:56618 off"), std::string::npos);

    auto json = run_tool({"--json", "inspect", "--replay", saved, "--state", "all"});
    ASSERT_EQ(json.exit_code, 0);
    auto doc = nlohmann::json::parse(json.out);
    EXPECT_EQ(doc["schema"], "keepalive-tune.inspect.v1");
    EXPECT_EQ(doc["complete"], true);
    EXPECT_EQ(doc["sockets"].size(), 9u);
    EXPECT_TRUE(doc["warnings"].empty());
}

// IPv6 and v4-mapped endpoints are wider than 23 columns: every column still lines up.
TEST(InspectCommandTest, ColumnsStayAlignedWithWideAddresses) {
    auto r = run_tool({"inspect", "--replay", source_dir() + "/tests/data/dump-mixed.bin", "--state", "all"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::istringstream lines(r.out);
    std::string header;
    std::getline(lines, header);
    for (const char* column : {"PEER", "KEEPALIVE", "NEXT", "PROBES"}) {
        const auto at = header.find(column);
        ASSERT_NE(at, std::string::npos) << column;
        EXPECT_EQ(header.substr(at - 2, 2), "  ") << column << " needs two spaces before it: " << header;
        std::string line;
        std::istringstream rows(r.out);
        std::getline(rows, line);
        while (std::getline(rows, line)) {
            ASSERT_GT(line.size(), at) << line;
            EXPECT_EQ(line[at - 1], ' ') << column << " misaligned: " << line;
            EXPECT_NE(line[at], ' ') << column << " misaligned: " << line;
        }
    }
}

TEST(InspectCommandTest, ReplayAppliesFiltersInUserSpace) {
    const std::string saved = source_dir() + "/tests/data/dump-mixed.bin";
    auto r = run_tool({"--json", "inspect", "--replay", saved, "--state", "time-wait"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto doc = nlohmann::json::parse(r.out);
    ASSERT_EQ(doc["sockets"].size(), 1u);
    EXPECT_EQ(doc["sockets"][0]["state"], "time-wait");
    r = run_tool({"--json", "inspect", "--replay", saved, "-6", "--role", "accepted"});
    EXPECT_EQ(nlohmann::json::parse(r.out)["sockets"].size(), 2u);
}

TEST(InspectCommandTest, ATruncatedSavedReplyIsAnError) {
    TempDir d;
    auto bytes = run_program({"/bin/sh", "-c", "head -c 500 " + source_dir() + "/tests/data/dump-mixed.bin > " + d.path() + "/cut.bin"});
    auto r = run_tool({"inspect", "--replay", d.path() + "/cut.bin"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("truncated"), std::string::npos) << r.err;
}

TEST(InspectCommandTest, SummaryOfTheSavedReplyCountsByStateRoleAndKeepalive) {
    auto r = run_tool({"inspect", "--replay", source_dir() + "/tests/data/dump-mixed.bin", "--state", "all", "--summary"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("9 sockets"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("by state: established 6 time-wait 1 listening 2"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("by role: listener 2 accepted 3 upstream 4"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("keepalive among established: armed 1, off 5, unknown 0"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace kt::test
