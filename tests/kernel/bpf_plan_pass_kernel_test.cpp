// apply and verify planned in the BPF pass itself ("planned_in": "kernel") against the same
// commands planned in user space from a read pass, on real sockets of a target process.
#include <gtest/gtest.h>
#include <unistd.h>

#include <map>
#include <nlohmann/json.hpp>

#include "support/netns.hpp"
#include "support/run_binary.hpp"
#include "support/sockets.hpp"
#include "support/target_process.hpp"
#include "support/temp_dir.hpp"

namespace kt::test {
namespace {

const Options k_profile{1, 2, 1, 3, 4000};
const Options k_upstream_before{1, 100, 10, 5, 777};

// Without --undo-file or --dry-run, apply plans each socket in its BPF pass from what the
// socket holds under its lock ("planned_in": "kernel"), with no read pass first. What it
// reports is what a plan from a read pass (--dry-run, "planned_in": "user") says of the same
// sockets, the connection waiting in the accept queue included; the target's own getsockopt
// then shows the profile, and a second apply finds every socket compliant.
TEST(BpfPlanPassKernelTest, ThePlanPassChangesWhatAPlanFromAReadPassWould) {
    KT_REQUIRE_BPF_ENGINE();
    TempDir d;
    const auto profile = d.write_profile("t", 2, 1, 3, 4000);
    TargetProcess target("127.0.0.1", "", k_upstream_before);
    ASSERT_TRUE(target.ok());
    ASSERT_EQ(target.connect_many(3, true), 3);
    ASSERT_EQ(target.connect_many(3, false), 3);
    const int waiting = connect_to("127.0.0.1", target.port());  // never accepted
    ASSERT_GE(waiting, 0);
    usleep(100 * 1000);
    const std::string pid = std::to_string(target.pid());
    // (local, peer) -> what was said of the socket, and its result.
    auto rows = [](const nlohmann::json& doc) {
        std::map<std::string, std::pair<nlohmann::json, std::string>> out;
        for (const auto& s : doc["sockets"])
            out[s["local"].dump() + " " + s["peer"].dump()] = {
                {s["pid"], s["fd"], s["inode"], s["role"], s["state"], s["before"], s["target"], s["drift"], s["error"]},
                s["result"].get<std::string>()};
        return out;
    };
    auto dry = run_tool({"--json", "apply", profile, "--pid", pid, "--engine", "bpf", "--dry-run"});
    ASSERT_EQ(dry.exit_code, 0) << dry.err;
    const auto planned = nlohmann::json::parse(dry.out);
    EXPECT_EQ(planned["planned_in"], "user");
    auto r = run_tool({"--json", "apply", profile, "--pid", pid, "--engine", "bpf"});
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    const auto applied = nlohmann::json::parse(r.out);
    EXPECT_EQ(applied["planned_in"], "kernel");
    const auto want = rows(planned), got = rows(applied);
    ASSERT_EQ(want.size(), 16u) << dry.out;  // 3 + 6 * 2 sockets, and the queued connection
    ASSERT_EQ(got.size(), want.size()) << r.out;
    std::size_t queued = 0;
    for (const auto& [key, row] : want) {
        const auto it = got.find(key);
        ASSERT_NE(it, got.end()) << key << " missing from " << r.out;
        EXPECT_EQ(it->second.first, row.first) << key;
        EXPECT_EQ(it->second.second, row.second == "planned" ? "changed" : row.second) << key;
        queued += row.first[1].is_null();
    }
    EXPECT_EQ(queued, 1u);
    EXPECT_EQ(applied["summary"]["changed"], 16) << applied["summary"];
    EXPECT_NE(applied["notes"].dump().find("waiting in the accept queues (1 found)"), std::string::npos)
        << applied["notes"];
    for (const auto& o : target.options()) EXPECT_EQ(o, k_profile);
    const int accepted = target.accept_pending();
    ASSERT_GE(accepted, 0);
    EXPECT_EQ(target.options_of(accepted), k_profile);

    auto again = run_tool({"--json", "apply", profile, "--pid", pid, "--engine", "bpf"});
    ASSERT_EQ(again.exit_code, 0) << again.out << again.err;
    const auto second = nlohmann::json::parse(again.out);
    EXPECT_EQ(second["planned_in"], "kernel");
    EXPECT_EQ(second["summary"]["changed"], 0) << second["summary"];
    EXPECT_EQ(second["summary"]["compliant"], 16) << second["summary"];
    close(waiting);
}

// verify judges each socket in its BPF pass too ("planned_in": "kernel"), and says what the
// way through a read pass says ("planned_in": "user", which --port takes): the same sockets,
// values and verdicts, and the same keepalive timer findings, for a target with drift and a
// connection waiting in the accept queue.
TEST(BpfPlanPassKernelTest, VerifyInThePlanPassSaysWhatVerifyFromAReadPassSays) {
    KT_REQUIRE_BPF_ENGINE();
    TempDir d;
    const auto profile = d.write_profile("sixty", 60, 10, 3);
    TargetProcess target("127.0.0.1", "", k_upstream_before);
    ASSERT_TRUE(target.ok());
    ASSERT_EQ(target.connect_many(2, true), 2);
    const int waiting = connect_to("127.0.0.1", target.port());
    ASSERT_GE(waiting, 0);
    usleep(100 * 1000);
    const std::string pid = std::to_string(target.pid());
    auto verify = [&](std::vector<std::string> extra, const char* planned_in) {
        std::vector<std::string> args = {"--json", "verify", profile, "--pid", pid, "--engine", "bpf"};
        args.insert(args.end(), extra.begin(), extra.end());
        auto r = run_tool(args);
        EXPECT_EQ(r.exit_code, 1) << r.out << r.err;  // drift: nothing carries the profile
        const auto doc = nlohmann::json::parse(r.out);
        EXPECT_EQ(doc["planned_in"], planned_in);
        std::map<std::string, nlohmann::json> out;
        for (auto s : doc["sockets"]) {
            nlohmann::json notes = nlohmann::json::array();
            for (const auto& n : s["notes"]) {
                const std::string text = n.get<std::string>();
                notes.push_back(text.substr(0, text.find(" due in ")));
            }
            out[s["local"].dump() + " " + s["peer"].dump()] = {s["pid"],   s["fd"],     s["inode"], s["role"], s["state"],
                                                               s["current"], s["target"], s["drift"], notes,     s["result"]};
        }
        return out;
    };
    const auto in_kernel = verify({}, "kernel");
    const auto from_read = verify({"--port", "1-65535"}, "user");
    EXPECT_EQ(in_kernel.size(), 8u);  // 3 + 2 * 2, and the queued connection
    EXPECT_EQ(in_kernel, from_read);
    std::size_t queued = 0;
    for (const auto& [key, row] : in_kernel) queued += row[1].is_null();
    EXPECT_EQ(queued, 1u);

    // And once the profile is applied, both say compliant.
    ASSERT_EQ(run_tool({"apply", profile, "--pid", pid, "--engine", "bpf"}).exit_code, 0);
    auto ok = run_tool({"verify", profile, "--pid", pid, "--engine", "bpf"});
    EXPECT_EQ(ok.exit_code, 0) << ok.out << ok.err;
    EXPECT_NE(ok.out.find("compliant: all 8 socket(s)"), std::string::npos) << ok.out;
    close(waiting);
}

}  // namespace
}  // namespace kt::test
