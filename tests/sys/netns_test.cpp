#include "sys/netns.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

#include "support/temp_dir.hpp"

namespace kt::sys {
namespace {

// On a fake root, each ns/net is a file whose inode stands for a namespace; hard links
// share an inode the way processes share a netns.
TEST(NetnsTest, DiscoveryDeduplicatesByInodeAndPrefersNamesAndPutsTheHostFirst) {
    test::TempDir root;
    const std::string proc = root.path() + "/proc", run = root.path() + "/run";
    for (int pid : {1, 50, 60, 70}) std::filesystem::create_directories(proc + "/" + std::to_string(pid) + "/ns");
    std::filesystem::create_directories(run);
    root.write("proc/1/ns/net", "host");
    root.write("proc/1/comm", "init\n");
    std::filesystem::create_hard_link(proc + "/1/ns/net", proc + "/50/ns/net");  // same netns as pid 1
    root.write("proc/60/ns/net", "pod");
    root.write("proc/60/comm", "envoy\n");
    root.write("run/blue", "named");
    std::filesystem::create_hard_link(run + "/blue", proc + "/70/ns/net");

    auto found = discover_netns(proc, run);
    ASSERT_EQ(found.found.size(), 3u);
    EXPECT_EQ(found.found[0].label, "host");
    EXPECT_EQ(found.found[0].pid, 1);
    bool pod = false, blue = false;
    for (const auto& t : found.found) {
        if (t.label == "pid:60") {
            pod = true;
            EXPECT_EQ(t.comm, "envoy");
        }
        if (t.label == "blue") {
            blue = true;
            EXPECT_EQ(t.pid, 70);
        }
    }
    EXPECT_TRUE(pod);
    EXPECT_TRUE(blue);
}

TEST(NetnsTest, UnknownNameSaysWhereItLooked) {
    test::TempDir root;
    auto t = netns_by_name("nope", root.path());
    ASSERT_FALSE(t.has_value());
    EXPECT_EQ(t.error().what, "--netns nope");
    EXPECT_NE(t.error().why.find("ip netns list"), std::string::npos);
}

TEST(NetnsTest, NetnsOfAMissingProcessIsAnError) {
    test::TempDir root;
    auto t = netns_of_pid(4242, root.path());
    ASSERT_FALSE(t.has_value());
    EXPECT_EQ(t.error().line(), "--netns-of 4242: no such process");
}

}  // namespace
}  // namespace kt::sys
