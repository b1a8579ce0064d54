// A namespace has one label whatever way it was reached (the check state file is keyed by it),
// and inspect --pid looks where the process is, as apply does.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include "support/netns.hpp"
#include "support/run_binary.hpp"
#include "support/target_process.hpp"

namespace kt::test {
namespace {

nlohmann::json run_json(const std::vector<std::string>& args) {
    std::vector<std::string> all{"--json"};
    all.insert(all.end(), args.begin(), args.end());
    auto r = run_tool(all);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.exit_code == 0 ? nlohmann::json::parse(r.out) : nlohmann::json::object();
}

std::string label_of(const nlohmann::json& netns_list, std::uint64_t inode) {
    for (const auto& n : netns_list)
        if (n["inode"] == inode) return n["label"];
    return "<not listed>";
}

std::uint64_t inode_of(const std::string& path) {
    struct stat st {};
    stat(path.c_str(), &st);
    return st.st_ino;
}

// Before: the caller's namespace was "netns:<inode>" alone and "pid:2" with --all-netns when
// /proc/1 could not be read; a /run/netns path was "netns:<inode>" and its name elsewhere.
TEST(NetnsLabelTest, EachNamespaceHasTheSameLabelInEveryMode) {
    KT_REQUIRE_KERNEL_TESTS();
    TestNetns ns;
    ASSERT_TRUE(ns.ok());
    TargetProcess target("127.0.0.1", ns.name());
    ASSERT_TRUE(target.ok());
    const auto all = run_json({"inspect", "--summary", "--all-netns"})["netns"];

    const auto self = inode_of("/proc/self/ns/net");
    const auto alone = run_json({"inspect", "--summary"})["netns"];
    ASSERT_EQ(alone.size(), 1u);
    EXPECT_EQ(alone[0]["label"], label_of(all, self));
    EXPECT_EQ(run_json({"inspect", "--summary", "--netns", "/proc/self/ns/net"})["netns"][0]["label"], label_of(all, self));

    const auto test_ns = inode_of("/run/netns/" + ns.name());
    EXPECT_EQ(label_of(all, test_ns), ns.name());
    for (const std::vector<std::string>& how : {std::vector<std::string>{"--netns", ns.name()},
                                                std::vector<std::string>{"--netns", "/run/netns/" + ns.name()},
                                                std::vector<std::string>{"--netns-of", std::to_string(target.pid())}}) {
        std::vector<std::string> args{"inspect", "--summary"};
        args.insert(args.end(), how.begin(), how.end());
        EXPECT_EQ(run_json(args)["netns"][0]["label"], ns.name()) << how[0] << " " << how[1];
    }
}

// Before: an empty table and exit 0 while apply and verify found the process's sockets.
TEST(NetnsLabelTest, InspectPidLooksInTheProcesssOwnNamespace) {
    KT_REQUIRE_KERNEL_TESTS();
    TestNetns ns;
    ASSERT_TRUE(ns.ok());
    TargetProcess target("127.0.0.1", ns.name());
    ASSERT_TRUE(target.ok());
    const auto doc = run_json({"inspect", "--pid", std::to_string(target.pid())});
    ASSERT_EQ(doc["sockets"].size(), 3u) << doc.dump();
    for (const auto& s : doc["sockets"]) {
        EXPECT_EQ(s["netns"], ns.name());
        EXPECT_EQ(s["process"]["pid"], target.pid());
    }
    auto table = run_tool({"inspect", "--pid", std::to_string(target.pid())});
    EXPECT_TRUE(table.out.starts_with("NETNS")) << table.out;
    EXPECT_NE(table.out.find("127.0.0.1:" + std::to_string(target.port())), std::string::npos) << table.out;
}

}  // namespace
}  // namespace kt::test
