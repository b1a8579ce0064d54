// The agent on this kernel: cgroups made while it runs, made again, named like a kubelet's pods;
// connections open before it started; policy edits, ConfigMap swaps and bad edits; SIGTERM,
// restart, a second agent and --detach. Every cgroup, pin and process is the test's own and
// is removed; the agent is started and stopped by its PID.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "support/agent_process.hpp"
#include "support/run_binary.hpp"
#include "support/sockets.hpp"
#include "support/temp_dir.hpp"
#include "support/test_cgroup.hpp"

namespace kt::test {
namespace {

using namespace std::chrono_literals;

nlohmann::json values(bool on, int idle, int interval, int count, int uto) {
    return {{"so_keepalive", on}, {"idle_seconds", idle}, {"interval_seconds", interval}, {"count", count}, {"user_timeout_ms", uto}};
}

// A loopback port nobody listens on now.
std::uint16_t free_port() {
    const int fd = listen_on("127.0.0.1");
    const auto port = local_port(fd);
    close(fd);
    return port;
}

// The glob that matches this test process's cgroups and no one else's.
std::string own_cgroups() { return "kt-enforce-" + std::to_string(getpid()) + "-*"; }

std::string policy_text(const std::string& profile, const std::string& match, const std::string& extra = "") {
    return "schema: keepalive-tune.policy.v1\nrules:\n  - name: svc\n    profile: " + profile + "\n    match:\n      " + match +
           "\n" + extra;
}

struct Lab {
    TempDir d;
    std::string state = d.path() + "/state";
    std::uint16_t port = free_port();
    std::vector<std::string> args(const std::string& policy) const {
        return {"agent", "--policy", policy, "--metrics-listen", "127.0.0.1:" + std::to_string(port), "--state-dir", state};
    }
};

std::uint64_t inode_of(const std::string& path) {
    struct stat st{};
    return stat(path.c_str(), &st) == 0 ? st.st_ino : 0;
}

// The program id behind the pinned sockops link of cgroup `path`, as bpftool reads it.
int sockops_program_id(const std::string& path) {
    const std::string pin = "/sys/fs/bpf/keepalive-tune/cgroup-" + std::to_string(inode_of(path)) + "/sockops";
    auto r = run_program({"/usr/sbin/bpftool", "-j", "link", "show", "pinned", pin});
    if (r.exit_code != 0) return -1;
    const auto doc = nlohmann::json::parse(r.out, nullptr, false);
    return doc.is_object() && doc.contains("prog_id") ? doc["prog_id"].get<int>() : -1;
}

nlohmann::json listed(const std::string& cgroup) {
    auto r = run_tool({"--json", "enforce", "--list"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    const auto doc = nlohmann::json::parse(r.out, nullptr, false);
    if (doc.is_object())
        for (const auto& e : doc["enforced"])
            if (e["cgroup"] == cgroup) return e;
    return {};
}

TEST(AgentKernelTest, ACgroupMadeWhileItRunsGetsTheProfileAndAgainWhenMadeAgain) {
    KT_REQUIRE_ENFORCE();
    Lab lab;
    const auto profile = lab.d.write_profile("t", 41, 7, 5, 12345);
    const auto policy = lab.d.write("policy.yaml", policy_text(profile, "cgroup: \"" + own_cgroups() + "\""));
    AgentProcess agent(lab.args(policy));
    ASSERT_TRUE(agent.wait_for_log("keepalive-tune agent: started", 10s)) << agent.log();

    TestCgroup cg;
    ASSERT_TRUE(cg.ok());
    ASSERT_TRUE(agent.wait_for_log("attached: rule svc, profile t, cgroup " + cg.path(), 2s)) << agent.log();
    const int l = listen_on("127.0.0.1");
    const auto port = local_port(l);
    const auto first = cg.start_client(KT_ENFORCE_CLIENT_STATIC, port);
    ASSERT_GT(first.first, 0);
    EXPECT_EQ(upstream_values(first.first), values(true, 41, 7, 5, 12345));

    // A restarted unit: the directory removed and made again is a new cgroup.
    ASSERT_TRUE(cg.remove_dir());
    ASSERT_TRUE(agent.wait_for_log("detached: cgroup " + cg.path() + ", why cgroup removed", 2s)) << agent.log();
    ASSERT_TRUE(cg.make_again());
    ASSERT_TRUE(agent.wait_for_log("attached: rule svc, profile t, cgroup " + cg.path(), 2s, 2)) << agent.log();
    const auto again = cg.start_client(KT_ENFORCE_CLIENT_STATIC, port);
    ASSERT_GT(again.first, 0);
    EXPECT_EQ(upstream_values(again.first), values(true, 41, 7, 5, 12345));
    close(l);

    double took = 0;
    EXPECT_EQ(agent.stop(SIGTERM, 5s, &took), 0) << agent.log();
    EXPECT_LT(took, 2.0);
    EXPECT_FALSE(listed(cg.path()).is_null()) << "the pins outlive the agent";
}

TEST(AgentKernelTest, APodRuleMatchesACgroupNamedLikeTheKubeletsAndCoversItsContainers) {
    KT_REQUIRE_ENFORCE();
    Lab lab;
    const std::string uid = "5f0c7d2e-9a41-4b6e-8f3d-2c1b0a9e8d7c";
    std::string uid_ = uid;
    std::replace(uid_.begin(), uid_.end(), '-', '_');
    const std::string id(64, 'e');
    std::filesystem::create_directories(lab.d.path() + "/pods/shop_web-7f9c_" + uid + "/app");
    std::filesystem::create_directories(lab.d.path() + "/containers");
    lab.d.write("containers/web-7f9c_shop_app-" + id + ".log", "");
    TestCgroup base;
    TestCgroup slice(base, "kubepods-besteffort.slice");
    TestCgroup pod(slice, "kubepods-besteffort-pod" + uid_ + ".slice");
    TestCgroup container(pod, "cri-containerd-" + id + ".scope");
    ASSERT_TRUE(container.ok());
    const auto profile = lab.d.write_profile("web", 33, 11, 4);
    const auto by_pod = lab.d.write("pod.yaml", policy_text(profile, "pod: \"shop/web-*\""));
    auto args = lab.args(by_pod);
    args.insert(args.end(), {"--pod-logs", lab.d.path() + "/pods", "--once"});
    auto dry = args;
    dry.push_back("--dry-run");
    auto plan = run_tool(dry);
    EXPECT_EQ(plan.exit_code, 0) << plan.err;
    EXPECT_NE(plan.out.find("attach  " + pod.path() + "  rule svc (profile web)"), std::string::npos) << plan.out;
    EXPECT_EQ(plan.out.find(container.path()), std::string::npos) << "covered by the pod's cgroup:\n" << plan.out;
    EXPECT_TRUE(listed(pod.path()).is_null()) << "a dry run attaches nothing";

    auto once = run_tool(args);
    EXPECT_EQ(once.exit_code, 0) << once.err;
    EXPECT_FALSE(listed(pod.path()).is_null());
    const int l = listen_on("127.0.0.1");
    const auto client = container.start_client(KT_ENFORCE_CLIENT, local_port(l));
    ASSERT_GT(client.first, 0);
    EXPECT_EQ(upstream_values(client.first), values(true, 33, 11, 4, 0));
    close(l);

    // A container rule names the container's own cgroup, found from its log link.
    const auto by_container = lab.d.write("container.yaml", policy_text(profile, "pod: \"shop/*\"\n      container: app"));
    auto plan2 = run_tool({"agent", "--policy", by_container, "--pod-logs", lab.d.path() + "/pods", "--state-dir", lab.state,
                           "--once", "--dry-run"});
    EXPECT_EQ(plan2.exit_code, 0) << plan2.err;
    EXPECT_NE(plan2.out.find("attach  " + container.path() + "  rule svc"), std::string::npos) << plan2.out;
    EXPECT_NE(plan2.out.find("detach  " + pod.path()), std::string::npos) << plan2.out;
    // Both rules of one policy on the container: said, and the first wins.
    const auto both = lab.d.write("both.yaml", policy_text(profile, "pod: \"shop/*\"\n      container: app") +
                                                   "  - name: pods\n    profile: " + profile + "\n    match: {pod: \"shop/*\"}\n");
    auto plan3 = run_tool({"agent", "--policy", both, "--pod-logs", lab.d.path() + "/pods", "--state-dir", lab.state, "--once",
                           "--dry-run"});
    EXPECT_EQ(plan3.exit_code, 0) << plan3.err;
    EXPECT_NE(plan3.out.find("matched twice: " + container.path() + ": rules svc pods (svc wins)"), std::string::npos) << plan3.out;
    EXPECT_EQ(run_tool({"agent", "--detach", "--state-dir", lab.state}).exit_code, 0);
    EXPECT_TRUE(listed(pod.path()).is_null());
}

TEST(AgentKernelTest, ConnectionsOpenBeforeTheAgentStartedAreChangedAndCanBeUndone) {
    KT_REQUIRE_ENFORCE();
    Lab lab;
    TestCgroup cg;
    ASSERT_TRUE(cg.ok());
    const int l = listen_on("127.0.0.1");
    const auto client = cg.start_client(KT_ENFORCE_CLIENT, local_port(l));
    ASSERT_GT(client.first, 0);
    ASSERT_EQ(upstream_values(client.first)["so_keepalive"], false);

    const auto profile = lab.d.write_profile("t", 52, 8, 3);
    const auto policy = lab.d.write("policy.yaml", policy_text(profile, "cgroup: \"" + own_cgroups() + "\""));
    AgentProcess agent(lab.args(policy));
    ASSERT_TRUE(agent.wait_for_log("applied: rule svc, profile t, cgroup " + cg.path() + ", changed 1, failed 0", 10s))
        << agent.log();
    EXPECT_EQ(upstream_values(client.first), values(true, 52, 8, 3, 0));
    const auto metrics = http_get(lab.port, "/metrics");
    EXPECT_NE(metrics.body.find("keepalive_tune_agent_connections_applied_total{rule=\"svc\",profile=\"t\"} 1\n"),
              std::string::npos)
        << metrics.body;
    EXPECT_EQ(agent.stop(SIGTERM, 5s), 0);

    const std::string undo = lab.state + "/undo-svc.json";
    ASSERT_TRUE(std::filesystem::exists(undo));
    auto r = run_tool({"undo", undo});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_EQ(upstream_values(client.first)["so_keepalive"], false);
    close(l);
}

// A Kubernetes ConfigMap volume: policy.yaml -> ..data/policy.yaml, ..data -> ..<timestamp>;
// the kubelet writes a new timestamped directory and renames a new ..data link over the old.
class ConfigMapDir {
public:
    explicit ConfigMapDir(const std::string& dir) : m_dir(dir) {
        std::filesystem::create_directories(dir);
        std::filesystem::create_symlink("..data/policy.yaml", dir + "/policy.yaml");
    }
    void publish(const std::string& text) {
        const std::string version = "..2026_12_06_" + std::to_string(++m_n);
        std::filesystem::create_directories(m_dir + "/" + version);
        std::ofstream(m_dir + "/" + version + "/policy.yaml") << text;
        std::filesystem::create_symlink(version, m_dir + "/..data_tmp");
        std::filesystem::rename(m_dir + "/..data_tmp", m_dir + "/..data");
    }
    std::string policy() const { return m_dir + "/policy.yaml"; }

private:
    std::string m_dir;
    int m_n = 0;
};

TEST(AgentKernelTest, APolicyEditUpdatesThePinInPlaceAndABadEditKeepsTheLastGoodOne) {
    KT_REQUIRE_ENFORCE();
    Lab lab;
    const auto first = lab.d.write_profile("first", 61, 9, 4);
    const auto second = lab.d.write_profile("second", 71, 12, 6);
    const std::string match = "cgroup: \"" + own_cgroups() + "\"";
    ConfigMapDir cm(lab.d.path() + "/configmap");
    cm.publish(policy_text(first, match));
    AgentProcess agent(lab.args(cm.policy()));
    ASSERT_TRUE(agent.wait_for_log("keepalive-tune agent: started", 10s)) << agent.log();
    TestCgroup cg;
    ASSERT_TRUE(agent.wait_for_log("attached: rule svc, profile first, cgroup " + cg.path(), 2s)) << agent.log();
    const int program = sockops_program_id(cg.path());
    ASSERT_GT(program, 0);

    cm.publish(policy_text(second, match));
    ASSERT_TRUE(agent.wait_for_log("updated: rule svc, profile second, cgroup " + cg.path(), 3s)) << agent.log();
    EXPECT_EQ(sockops_program_id(cg.path()), program) << "updated in place, not attached again";
    EXPECT_EQ(listed(cg.path())["profile"], "second");
    const int l = listen_on("127.0.0.1");
    const auto client = cg.start_client(KT_ENFORCE_CLIENT, local_port(l));
    ASSERT_GT(client.first, 0);
    EXPECT_EQ(upstream_values(client.first), values(true, 71, 12, 6, 0));

    cm.publish(policy_text(second, match) + "  - name: broken\n    profile: " + first + "\n    match: {}\n");
    ASSERT_TRUE(agent.wait_for_log("policy rejected", 3s)) << agent.log();
    EXPECT_NE(agent.log().find("/configmap/policy.yaml:9:5: match: give at least one"), std::string::npos) << agent.log();
    const auto health = http_get(lab.port, "/healthz");
    EXPECT_EQ(health.status, 503);
    EXPECT_NE(health.body.find("policy rejected"), std::string::npos) << health.body;
    const auto metrics = http_get(lab.port, "/metrics");
    EXPECT_NE(metrics.body.find("keepalive_tune_agent_policy_errors_total 1\n"), std::string::npos) << metrics.body;
    EXPECT_NE(metrics.body.find("keepalive_tune_agent_policy_ok 0\n"), std::string::npos);
    const auto still = cg.start_client(KT_ENFORCE_CLIENT, local_port(l));
    ASSERT_GT(still.first, 0);
    EXPECT_EQ(upstream_values(still.first), values(true, 71, 12, 6, 0)) << "the last good policy stays in force";

    // A good edit: loaded, and healthy again.
    cm.publish(policy_text(first, match));
    ASSERT_TRUE(agent.wait_for_log("updated: rule svc, profile first", 3s)) << agent.log();
    EXPECT_EQ(http_get(lab.port, "/healthz").status, 200);
    // SIGHUP reads the profiles again too: a profile edited where nothing watches it.
    lab.d.write_profile("first", 62, 9, 4);
    kill(agent.pid(), SIGHUP);
    ASSERT_TRUE(agent.wait_for_log("updated: rule svc, profile first, cgroup " + cg.path() + ", changed values 61/9/4 -> 62/9/4", 3s))
        << agent.log();
    close(l);
    EXPECT_EQ(agent.stop(SIGTERM, 5s), 0);
}

TEST(AgentKernelTest, PinsOutliveItARestartAdoptsThemASecondAgentIsRefusedAndDetachRemovesThem) {
    KT_REQUIRE_ENFORCE();
    Lab lab;
    const auto profile = lab.d.write_profile("t", 45, 9, 3);
    const auto policy = lab.d.write("policy.yaml", policy_text(profile, "cgroup: \"" + own_cgroups() + "\""));
    TestCgroup cg;
    ASSERT_TRUE(cg.ok());
    {
        AgentProcess agent(lab.args(policy));
        ASSERT_TRUE(agent.wait_for_log("attached: rule svc, profile t, cgroup " + cg.path(), 10s)) << agent.log();
        auto second = run_tool(lab.args(policy));
        EXPECT_EQ(second.exit_code, 2);
        EXPECT_NE(second.err.find("another agent is running on this node (pid " + std::to_string(agent.pid()) + ","),
                  std::string::npos)
            << second.err;
        EXPECT_EQ(agent.stop(SIGINT, 5s), 0);
    }
    const int program = sockops_program_id(cg.path());
    ASSERT_GT(program, 0) << "SIGINT leaves the pins";
    {
        auto json_log = lab.args(policy);
        json_log.push_back("--json-log");
        AgentProcess again(json_log);
        ASSERT_TRUE(again.wait_for_log("\"event\":\"started\"", 10s)) << again.log();
        const auto first_line = again.log().substr(0, again.log().find('\n'));
        const auto doc = nlohmann::json::parse(first_line, nullptr, false);
        ASSERT_TRUE(doc.is_object()) << first_line;
        EXPECT_EQ(doc["level"], "info");
        EXPECT_EQ(doc["pid"], std::to_string(again.pid()));
        EXPECT_TRUE(doc["time"].get<std::string>().ends_with("Z")) << first_line;
        // Past its first reconcile: a metric of it is served.
        bool reconciled = false;
        for (int i = 0; i < 100 && !reconciled; ++i) {
            reconciled = http_get(lab.port, "/metrics").body.find("keepalive_tune_agent_programs_attached{rule=\"svc\",profile=\"t\"} 1") !=
                         std::string::npos;
            if (!reconciled) usleep(20000);
        }
        EXPECT_TRUE(reconciled) << again.log();
        EXPECT_EQ(again.log().find("\"event\":\"attached\""), std::string::npos) << "adopted, not attached again:\n" << again.log();
        EXPECT_EQ(sockops_program_id(cg.path()), program);
        EXPECT_EQ(again.stop(SIGTERM, 5s), 0);
    }
    auto detach = run_tool({"agent", "--detach", "--state-dir", lab.state});
    EXPECT_EQ(detach.exit_code, 0) << detach.err;
    EXPECT_NE(detach.out.find("detached: " + cg.path() + " (rule svc)"), std::string::npos) << detach.out;
    EXPECT_TRUE(listed(cg.path()).is_null());
}

TEST(AgentKernelTest, ItsMetricsPassPromtoolAndARealPrometheusScrapesThem) {
    KT_REQUIRE_ENFORCE();
    if (access("/usr/bin/promtool", X_OK) != 0 || access("/usr/bin/prometheus", X_OK) != 0)
        GTEST_SKIP() << "needs promtool and prometheus (package prometheus; scripts/install-deps --tests)";
    Lab lab;
    const auto profile = lab.d.write_profile("t", 45, 9, 3);
    const auto policy = lab.d.write("policy.yaml", policy_text(profile, "cgroup: \"" + own_cgroups() + "\"", "health:\n  every: 1s\n"));
    AgentProcess agent(lab.args(policy));
    ASSERT_TRUE(agent.wait_for_log("keepalive-tune agent: started", 10s)) << agent.log();
    TestCgroup cg;
    ASSERT_TRUE(agent.wait_for_log("attached: rule svc", 2s)) << agent.log();
    // The health series come from the first scan, a moment after the start.
    HttpReply metrics;
    for (int i = 0; i < 100; ++i) {
        metrics = http_get(lab.port, "/metrics");
        if (metrics.body.find("keepalive_tune_check_status") != std::string::npos) break;
        usleep(50000);
    }
    ASSERT_EQ(metrics.status, 200);
    EXPECT_NE(metrics.body.find("keepalive_tune_check_status"), std::string::npos) << metrics.body;
    EXPECT_NE(metrics.body.find("keepalive_tune_enforced_cgroups"), std::string::npos);
    const auto body = lab.d.write("metrics.txt", metrics.body);
    auto check = run_program({"/bin/sh", "-c", "/usr/bin/promtool check metrics < " + body});
    EXPECT_EQ(check.exit_code, 0) << check.out << check.err;

    const auto prom_port = free_port();
    const auto config = lab.d.write("prometheus.yml", "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: agent\n"
                                                      "    static_configs:\n      - targets: ['127.0.0.1:" +
                                                          std::to_string(lab.port) + "']\n");
    const pid_t prom = fork();
    if (prom == 0) {
        const std::string listen = "--web.listen-address=127.0.0.1:" + std::to_string(prom_port);
        const std::string storage = "--storage.tsdb.path=" + lab.d.path() + "/tsdb";
        const std::string cfg = "--config.file=" + config;
        freopen("/dev/null", "w", stdout);
        freopen("/dev/null", "w", stderr);
        execl("/usr/bin/prometheus", "prometheus", cfg.c_str(), storage.c_str(), listen.c_str(), static_cast<char*>(nullptr));
        _exit(127);
    }
    ASSERT_GT(prom, 0);
    std::string answer;
    for (int i = 0; i < 150; ++i) {  // at most 30 s
        const auto r = http_get(prom_port, "/api/v1/query?query=keepalive_tune_agent_programs_attached");
        answer = r.body;
        if (answer.find("\"rule\":\"svc\"") != std::string::npos) break;
        usleep(200000);
    }
    kill(prom, SIGTERM);
    int status = 0;
    for (int i = 0; i < 100 && waitpid(prom, &status, WNOHANG) == 0; ++i) usleep(50000);
    if (waitpid(prom, &status, WNOHANG) == 0) {
        kill(prom, SIGKILL);
        waitpid(prom, &status, 0);
    }
    EXPECT_NE(answer.find("\"rule\":\"svc\""), std::string::npos) << answer;
    EXPECT_NE(answer.find("\"__name__\":\"keepalive_tune_agent_programs_attached\""), std::string::npos) << answer;
    EXPECT_EQ(agent.stop(SIGTERM, 5s), 0);
}

}  // namespace
}  // namespace kt::test
