// A namespace that holds a container is named after it: its hostname, its container id and
// its pod's UID from the cgroup path, its pod's name from the kubelet's files; --pod and
// --container choose it.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "support/netns.hpp"
#include "support/run_binary.hpp"
#include "support/temp_dir.hpp"
#include "sys/netns.hpp"
#include "sys/netns_identity.hpp"
#include "sys/target_processes.hpp"

namespace kt::test {
namespace {

// Eight hex digits that differ between the test processes ctest runs side by side, so that
// two of them never make the same container or pod (a prefix would then fit both).
std::string own_digits() {
    char buf[9];
    std::snprintf(buf, sizeof buf, "%08x", static_cast<unsigned>(getpid()) * 2654435761u);
    return buf;
}
const std::string k_container_id = own_digits() + "d15ea5e0123456789abcdef0123456789abcdef0123456789abcdef0";
const std::string k_pod_uid = own_digits() + "-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
const std::string k_pod_uid_ = own_digits() + "_4e5f_4a6b_8c7d_9e0f1a2b3c4d";
// Id prefixes as a user types them.
const std::string k_id10 = k_container_id.substr(0, 10), k_id8 = k_container_id.substr(0, 8),
                  k_id6 = k_container_id.substr(0, 6);
// A prefix of no container: this one's first eight digits, then what its id does not have.
const std::string k_no_id = k_id8 + "ffff";

// The directories kubelet (systemd driver) and containerd make for a pod's container, under a
// parent of this test's own; removed, deepest first, when the test ends.
class ContainerCgroup {
public:
    ContainerCgroup() {
        const std::string mount = sys::cgroup2_mount();
        m_dirs.push_back(mount + "/kt-test-" + std::to_string(getpid()));
        m_dirs.push_back(m_dirs.back() + "/kubepods-burstable-pod" + k_pod_uid_ + ".slice");
        m_dirs.push_back(m_dirs.back() + "/cri-containerd-" + k_container_id + ".scope");
        for (const auto& d : m_dirs)
            if (mkdir(d.c_str(), 0755) != 0) {
                m_error = d + ": " + std::strerror(errno);
                return;
            }
    }
    ~ContainerCgroup() {
        for (auto it = m_dirs.rbegin(); it != m_dirs.rend(); ++it)
            for (int i = 0; i < 50 && rmdir(it->c_str()) != 0 && errno == EBUSY; ++i) usleep(20000);
    }
    const std::string& error() const { return m_error; }
    bool add(pid_t pid) const {
        std::ofstream procs(m_dirs.back() + "/cgroup.procs");
        procs << pid << std::flush;
        return procs.good();
    }

private:
    std::vector<std::string> m_dirs;
    std::string m_error;
};

// A process in its own UTS and network namespaces with `hostname`, as a pod's sandbox is,
// holding one listener there.
void sandbox(int ready_fd, const std::string& hostname) {
    int ok = unshare(CLONE_NEWUTS | CLONE_NEWNET) == 0 && sethostname(hostname.data(), hostname.size()) == 0 ? 1 : 0;
    const int listener = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in any{};
    any.sin_family = AF_INET;
    if (listener < 0 || bind(listener, reinterpret_cast<sockaddr*>(&any), sizeof any) != 0 || listen(listener, 4) != 0)
        ok = 0;
    if (write(ready_fd, &ok, sizeof ok) != sizeof ok) _exit(1);
    for (;;) pause();
}

const nlohmann::json* netns_with_inode(const nlohmann::json& list, std::uint64_t inode) {
    for (const auto& n : list)
        if (n["inode"] == inode) return &n;
    return nullptr;
}

std::uint64_t netns_inode(pid_t pid) {
    struct stat st {};
    stat(("/proc/" + std::to_string(pid) + "/ns/net").c_str(), &st);
    return st.st_ino;
}

class ContainerNetnsTest : public ::testing::Test {
protected:
    void SetUp() override {
        KT_REQUIRE_KERNEL_TESTS();
        if (!m_cgroup.error().empty()) GTEST_SKIP() << "cannot make the test's cgroup directories: " << m_cgroup.error();
        m_child = std::make_unique<ChildProcess>([this](int fd) { sandbox(fd, m_hostname); });
        ASSERT_EQ(m_child->wait_ready(), 1) << "unshare or sethostname failed";
        ASSERT_TRUE(m_cgroup.add(m_child->pid()));
    }
    void TearDown() override { m_child.reset(); }  // killed by PID before its cgroup goes

    const std::string m_hostname = "web-" + std::to_string(getpid());
    ContainerCgroup m_cgroup;
    std::unique_ptr<ChildProcess> m_child;
};

TEST_F(ContainerNetnsTest, AllNetnsShowsTheHostnameContainerAndPod) {
    auto r = run_tool({"--json", "inspect", "--summary", "--all-netns"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto doc = nlohmann::json::parse(r.out);
    const auto* ns = netns_with_inode(doc["netns"], netns_inode(m_child->pid()));
    ASSERT_NE(ns, nullptr) << r.out;
    EXPECT_EQ((*ns)["label"], "pod:" + m_hostname);
    EXPECT_EQ((*ns)["hostname"], m_hostname);
    EXPECT_EQ((*ns)["container_id"], k_container_id);
    EXPECT_EQ((*ns)["container_runtime"], "containerd");
    EXPECT_EQ((*ns)["pod_uid"], k_pod_uid);
    EXPECT_TRUE((*ns)["pod"].is_null()) << "no kubelet on this host";
    // The test's own namespace holds no container: its label is what it was.
    const auto* own = netns_with_inode(doc["netns"], netns_inode(getpid()));
    ASSERT_NE(own, nullptr);
    EXPECT_FALSE((*own)["label"].get<std::string>().starts_with("pod:")) << *own;
    EXPECT_TRUE((*own)["container_id"].is_null()) << *own;
    EXPECT_TRUE((*own)["pod_uid"].is_null()) << *own;

    auto text = run_tool({"inspect", "--summary", "--all-netns"});
    EXPECT_NE(text.out.find("netns pod:" + m_hostname), std::string::npos) << text.out;
}

TEST_F(ContainerNetnsTest, PodAndContainerSelectThatNamespace) {
    const auto inode = netns_inode(m_child->pid());
    for (const std::vector<std::string>& how : {std::vector<std::string>{"--pod", m_hostname},
                                                std::vector<std::string>{"--container", k_id10}}) {
        for (const char* command : {"inspect", "health", "timewait"}) {
            std::vector<std::string> args{"--json", command};
            if (std::string(command) == "inspect") args.push_back("--summary");
            args.insert(args.end(), how.begin(), how.end());
            auto r = run_tool(args);
            ASSERT_EQ(r.exit_code, 0) << command << " " << how[0] << ": " << r.err;
            const auto doc = nlohmann::json::parse(r.out);
            const auto& list = doc["netns"];
            ASSERT_EQ(list.size(), 1u) << r.out;
            EXPECT_EQ(list[0].contains("inode") ? list[0]["inode"].get<std::uint64_t>() : inode, inode);
            EXPECT_EQ(list[0].contains("label") ? list[0]["label"] : list[0]["netns"], "pod:" + m_hostname)
                << command << " " << how[0];
            EXPECT_EQ(list[0]["container_id"], k_container_id) << command;
        }
    }
    auto dry = run_tool({"--json", "apply", "linux-default", "--sysctl", "--dry-run", "--pod", m_hostname});
    ASSERT_EQ(dry.exit_code, 0) << dry.err;
    const auto plan = nlohmann::json::parse(dry.out);
    ASSERT_FALSE(plan["sysctls"].empty()) << dry.out;
    for (const auto& s : plan["sysctls"]) EXPECT_EQ(s["netns"], "pod:" + m_hostname);
}

// The check state file is keyed by label: every way of reaching the namespace names it alike.
TEST_F(ContainerNetnsTest, TheNamespaceHasTheSameLabelInEveryMode) {
    const std::string pid = std::to_string(m_child->pid());
    for (const std::vector<std::string>& how :
         {std::vector<std::string>{"--netns-of", pid}, std::vector<std::string>{"--netns", "/proc/" + pid + "/ns/net"},
          std::vector<std::string>{"--pod", m_hostname}}) {
        std::vector<std::string> args{"--json", "inspect", "--summary"};
        args.insert(args.end(), how.begin(), how.end());
        auto r = run_tool(args);
        ASSERT_EQ(r.exit_code, 0) << r.err;
        EXPECT_EQ(nlohmann::json::parse(r.out)["netns"][0]["label"], "pod:" + m_hostname) << how[0];
    }
    auto check = run_tool({"--json", "check", "--container", k_id6});
    ASSERT_EQ(check.exit_code, 0) << check.err;
    const auto doc = nlohmann::json::parse(check.out);
    ASSERT_EQ(doc["netns"].size(), 1u) << check.out;
    EXPECT_EQ(doc["netns"][0]["netns"], "pod:" + m_hostname);
    EXPECT_EQ(doc["netns"][0]["pod_uid"], k_pod_uid);
}

TEST_F(ContainerNetnsTest, AnUnknownPodOrContainerIsOneLineAndExitTwo) {
    for (const std::vector<std::string>& args :
         {std::vector<std::string>{"inspect", "--pod", "no-such-pod-" + m_hostname},
          std::vector<std::string>{"timewait", "--container", "0123456789abcdefdead"},
          std::vector<std::string>{"inspect", "--pod", m_hostname, "--all-netns"}}) {
        auto r = run_tool(args);
        EXPECT_EQ(r.exit_code, 2) << args[1];
        EXPECT_TRUE(r.err.starts_with("keepalive-tune: error: ")) << r.err;
        EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
        EXPECT_EQ(r.out, "");
    }
}

// As targets of apply and verify, --pod is every process of the pod and --container every
// process of the container.
TEST_F(ContainerNetnsTest, ApplyAndVerifyTakeThePodsAndTheContainersProcesses) {
    for (const std::vector<std::string>& how :
         {std::vector<std::string>{"--pod", m_hostname}, std::vector<std::string>{"--container", k_id8}}) {
        std::vector<std::string> args{"--json", "apply", "linux-default", "--dry-run"};
        args.insert(args.end(), how.begin(), how.end());
        auto r = run_tool(args);
        ASSERT_EQ(r.exit_code, 0) << how[0] << ": " << r.err;
        const auto plan = nlohmann::json::parse(r.out);
        ASSERT_EQ(plan["sockets"].size(), 1u) << r.out;
        EXPECT_EQ(plan["sockets"][0]["pid"], m_child->pid()) << r.out;

        std::vector<std::string> verify{"--json", "verify", "linux-default"};
        verify.insert(verify.end(), how.begin(), how.end());
        auto v = run_tool(verify);
        EXPECT_TRUE(v.exit_code == 0 || v.exit_code == 1) << v.err;
        EXPECT_EQ(nlohmann::json::parse(v.out)["sockets"].size(), 1u) << v.out;
    }
    auto none = run_tool({"verify", "linux-default", "--container", k_no_id});
    EXPECT_EQ(none.exit_code, 2);
    EXPECT_EQ(none.err, "keepalive-tune: error: --container " + k_no_id + ": no process runs in a container whose id "
                        "starts with that\n");
}

// The kubelet root and pod log directory are parameters: a fake pod directory names the pod.
TEST_F(ContainerNetnsTest, ThePodNameComesFromTheKubeletsDirectories) {
    TempDir kubelet, logs;
    std::filesystem::create_directories(kubelet.path() + "/pods/" + k_pod_uid);
    kubelet.write("pods/" + k_pod_uid + "/etc-hosts",
                  "# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n10.244.0.7\tweb-0\n");
    auto ns = sys::netns_of_pid(m_child->pid());
    ASSERT_TRUE(ns.has_value());
    std::vector<sys::NetnsTarget> targets{*ns};
    sys::identify_namespaces(targets, {"/proc", kubelet.path(), logs.path()});
    EXPECT_EQ(targets[0].identity.pod, "web-0");
    EXPECT_EQ(targets[0].label, "pod:web-0");

    std::filesystem::create_directories(logs.path() + "/shop_web-0_" + k_pod_uid);
    targets = {*ns};
    sys::identify_namespaces(targets, {"/proc", kubelet.path(), logs.path()});
    EXPECT_EQ(targets[0].identity.pod, "shop/web-0");
    EXPECT_EQ(targets[0].identity.hostname, m_hostname);
    EXPECT_EQ(targets[0].identity.container_ids, std::vector<std::string>{k_container_id});
    EXPECT_TRUE(pod_matches(targets[0].identity, "shop/web-0"));
}

}  // namespace
}  // namespace kt::test

namespace kt::test {
namespace {

TEST_F(ContainerNetnsTest, EnforceAttachesToThePodsOrTheContainersCgroup) {
    if (!KT_BPF_BUILT) GTEST_SKIP() << "built without the BPF engine (KT_BPF=OFF)";
    TempDir d;
    const auto profile = d.write_profile("t", 41, 7, 5);
    const std::string mount = sys::cgroup2_mount();
    const std::string pod_dir = mount + "/kt-test-" + std::to_string(getpid()) + "/kubepods-burstable-pod" + k_pod_uid_ + ".slice";
    const std::string scope = pod_dir + "/cri-containerd-" + k_container_id + ".scope";
    for (const auto& [how, dir] : std::vector<std::pair<std::vector<std::string>, std::string>>{
             {{"--container", k_id10}, scope}, {{"--pod", m_hostname}, pod_dir}}) {
        std::vector<std::string> args{"--json", "enforce", profile};
        args.insert(args.end(), how.begin(), how.end());
        auto r = run_tool(args);
        ASSERT_EQ(r.exit_code, 0) << how[0] << ": " << r.err;
        EXPECT_EQ(nlohmann::json::parse(r.out)["cgroup"], dir) << r.out;
        auto rm = run_tool({"enforce", "--remove", how[0], how[1]});
        EXPECT_EQ(rm.exit_code, 0) << rm.err;
    }
    auto both = run_tool({"enforce", profile, "--pod", m_hostname, "--cgroup", "x"});
    EXPECT_EQ(both.exit_code, 2);
    EXPECT_EQ(both.err, "keepalive-tune: error: --cgroup, --pod and --container: give one of them\n");
}

}  // namespace
}  // namespace kt::test
