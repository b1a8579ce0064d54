#include "core/socket/container_identity.hpp"

#include <gtest/gtest.h>

namespace kt {
namespace {

constexpr std::string_view k_id = "0f5b3c7e9d2a41b8a6c3e5f7091b2d4c6e8fa1b3c5d7e9f1a2b4c6d8e0f1a3b5";
constexpr std::string_view k_uid = "5e6f7a8b-1c2d-4e3f-9a0b-1c2d3e4f5a6b";

struct CgroupCase {
    const char* what;
    std::string text;  // /proc/PID/cgroup as read
    const char* runtime;
    bool has_container;
    bool has_pod;
};

std::string with(std::string_view pattern) {
    std::string out(pattern);
    std::string uid_(k_uid);
    for (auto& c : uid_)
        if (c == '-') c = '_';
    for (std::size_t at; (at = out.find("UID_")) != std::string::npos;) out.replace(at, 4, uid_);
    for (std::size_t at; (at = out.find("UID")) != std::string::npos;) out.replace(at, 3, k_uid);
    for (std::size_t at; (at = out.find("ID")) != std::string::npos;) out.replace(at, 2, k_id);
    return out;
}

TEST(ContainerIdentityTest, ReadsEachRuntimeAndCgroupDriver) {
    const CgroupCase cases[] = {
        {"containerd, systemd driver, cgroup v2",
         with("0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-podUID_.slice/cri-containerd-ID.scope\n"),
         "containerd", true, true},
        {"containerd, systemd driver, guaranteed QoS",
         with("0::/kubepods.slice/kubepods-podUID_.slice/cri-containerd-ID.scope\n"), "containerd", true, true},
        {"CRI-O, systemd driver, besteffort",
         with("0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-podUID_.slice/crio-ID.scope\n"),
         "cri-o", true, true},
        {"containerd, cgroupfs driver, cgroup v2", with("0::/kubepods/burstable/podUID/ID\n"), "", true, true},
        {"cgroupfs driver, guaranteed QoS", with("0::/kubepods/podUID/ID\n"), "", true, true},
        {"kind / k3s: systemd slice with a colon-joined id",
         with("0::/system.slice/containerd.service/kubepods-besteffort-podUID_.slice:cri-containerd:ID\n"),
         "containerd", true, true},
        {"Docker, systemd driver", with("0::/system.slice/docker-ID.scope\n"), "docker", true, false},
        {"Docker, cgroupfs driver, cgroup v1",
         with("12:pids:/docker/ID\n11:memory:/docker/ID\n1:name=systemd:/docker/ID\n0::/system.slice/containerd.service\n"),
         "docker", true, false},
        {"Podman", with("0::/machine.slice/libpod-ID.scope/container\n"), "podman", true, false},
        {"cgroup v1 hybrid, kubelet with systemd driver",
         with("12:cpu,cpuacct:/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-podUID_.slice/"
              "cri-containerd-ID.scope\n1:name=systemd:/kubepods.slice/kubepods-burstable.slice/"
              "kubepods-burstable-podUID_.slice/cri-containerd-ID.scope\n0::/\n"),
         "containerd", true, true},
        {"a pod's cgroup with no container scope (the pod slice itself)",
         with("0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-podUID_.slice\n"), "", false, true},
        {"a test's own parent directory above the kubelet names",
         with("0::/kt-test-4242/kubepods-burstable-podUID_.slice/cri-containerd-ID.scope\n"), "containerd", true, true},
    };
    for (const auto& c : cases) {
        const auto id = parse_cgroup_identity(c.text);
        EXPECT_EQ(id.runtime, c.runtime) << c.what;
        EXPECT_EQ(id.container_id, c.has_container ? std::string(k_id) : "") << c.what;
        EXPECT_EQ(id.pod_uid, c.has_pod ? std::string(k_uid) : "") << c.what;
    }
}

TEST(ContainerIdentityTest, FindsNoContainerOnHostProcessesOrMonitors) {
    const char* cases[] = {
        "0::/init.scope\n",
        "0::/system.slice/containerd.service\n",
        "0::/user.slice/user-1000.slice/session-3.scope\n",
        "0::/\n",
        "",
        "garbage without colons\n",
        // CRI-O's conmon monitors a container from the host's namespaces.
        "0::/kubepods.slice/kubepods-burstable.slice/crio-conmon-0f5b3c7e9d2a41b8a6c3e5f7091b2d4c6e8fa1b3c5d7e9f1a2b4c6d8e0f1a3b5.scope\n",
        // Not 64 hex digits.
        "0::/system.slice/docker-0f5b3c7e.scope\n",
        "0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-podnot-a-uid.slice\n",
    };
    for (const char* text : cases) {
        const auto id = parse_cgroup_identity(text);
        EXPECT_EQ(id.container_id, "") << text;
        EXPECT_EQ(id.pod_uid, "") << text;
    }
}

TEST(ContainerIdentityTest, ReadsNamespaceNameAndUidFromAPodLogDirectory) {
    const auto pod = parse_pod_log_dir(with("shop_web-7f9c6d5b8-x2k4q_UID"));
    ASSERT_TRUE(pod.has_value());
    EXPECT_EQ(pod->namespace_name, "shop");
    EXPECT_EQ(pod->name, "web-7f9c6d5b8-x2k4q");
    EXPECT_EQ(pod->uid, k_uid);
    EXPECT_FALSE(parse_pod_log_dir("shop_web").has_value());
    EXPECT_FALSE(parse_pod_log_dir(with("_web_UID")).has_value());
    EXPECT_FALSE(parse_pod_log_dir("shop_web_not-a-uid").has_value());
}

TEST(ContainerIdentityTest, ReadsThePodHostnameFromTheKubeletHostsFile) {
    // As pkg/kubelet/kubelet_pods.go writes it, with a HostAliases section after.
    const std::string managed =
        "# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
        "fe00::0\tip6-localnet\nfe00::0\tip6-mcastprefix\nfe00::1\tip6-allnodes\nfe00::2\tip6-allrouters\n"
        "10.244.1.17\tweb-7f9c6d5b8-x2k4q\n\n# Entries added by HostAliases.\n10.0.0.9\tdb.internal\n";
    EXPECT_EQ(parse_kubelet_etc_hosts(managed), "web-7f9c6d5b8-x2k4q");
    const std::string fqdn = "# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n"
                             "10.244.1.18\tweb-0.web.shop.svc.cluster.local\tweb-0\n";
    EXPECT_EQ(parse_kubelet_etc_hosts(fqdn), "web-0");
    const std::string only_aliases =
        "# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n# Entries added by HostAliases.\n10.0.0.9\tdb\n";
    EXPECT_EQ(parse_kubelet_etc_hosts(only_aliases), "");
    const std::string host_network =
        "# Kubernetes-managed hosts file (host network).\n127.0.0.1 localhost\n10.0.0.5 node-a\n";
    EXPECT_EQ(parse_kubelet_etc_hosts(host_network), "");
}

TEST(ContainerIdentityTest, LabelsPodsByNameAndOtherContainersByHostname) {
    NetnsIdentity pod{"web-0", std::string(k_id), "containerd", {std::string(k_id)}, std::string(k_uid), "shop/web-0"};
    EXPECT_EQ(container_label(pod, "node-a"), "pod:web-0");
    pod.pod.clear();
    EXPECT_EQ(container_label(pod, "node-a"), "pod:web-0");
    pod.hostname.clear();
    EXPECT_EQ(container_label(pod, "node-a"), "pod:" + std::string(k_uid));

    NetnsIdentity docker{"cache", std::string(k_id), "docker", {std::string(k_id)}, "", ""};
    EXPECT_EQ(container_label(docker, "node-a"), "container:cache");
    docker.hostname = "node-a";  // --uts=host
    EXPECT_EQ(container_label(docker, "node-a"), "container:0f5b3c7e9d2a");
    EXPECT_EQ(container_label(NetnsIdentity{"other", "", "", {}, "", ""}, "node-a"), "");
}

TEST(ContainerIdentityTest, SelectorsMatchPodNamesAndContainerIdPrefixes) {
    NetnsIdentity pod{"web-0", std::string(k_id), "containerd", {"aa11", std::string(k_id)}, std::string(k_uid),
                      "shop/web-0"};
    EXPECT_TRUE(pod_matches(pod, "web-0"));
    EXPECT_TRUE(pod_matches(pod, "shop/web-0"));
    EXPECT_FALSE(pod_matches(pod, "web"));
    EXPECT_FALSE(pod_matches(pod, "other/web-0"));
    EXPECT_TRUE(container_matches(pod, "0f5b3c"));
    EXPECT_TRUE(container_matches(pod, "aa1"));
    EXPECT_FALSE(container_matches(pod, "bb"));
    EXPECT_FALSE(container_matches(pod, ""));
    const NetnsIdentity bare{"sandbox", "", "", {}, "", ""};
    EXPECT_TRUE(pod_matches(bare, "sandbox"));
    EXPECT_FALSE(pod_matches(bare, ""));
}

// Two pods named web-7d9f (other UIDs, no namespace known, as inside the DaemonSet without
// /var/log/pods): labels are what Prometheus series and check's state file are keyed by, so
// each gets what tells it apart, and --pod takes that label back.
TEST(ContainerIdentityTest, RepeatedLabelsBecomeUniqueAndSelectable) {
    const NetnsIdentity a{"web-7d9f", "", "", {}, "1a2b3c4d-0000-4000-8000-000000000001", "web-7d9f"};
    const NetnsIdentity b{"web-7d9f", "", "", {}, "9f8e7d6c-0000-4000-8000-000000000002", "web-7d9f"};
    const NetnsIdentity c{"redis-0", "", "", {}, "11111111-0000-4000-8000-000000000003", "shop/redis-0"};
    const NetnsIdentity d{"redis-0", "", "", {}, "22222222-0000-4000-8000-000000000004", "cache/redis-0"};
    const NetnsIdentity e{"x", std::string(k_id), "", {}, "", ""};
    std::vector<LabelledNetns> ns = {{"pod:web-7d9f", &a, 11}, {"pod:web-7d9f", &b, 12}, {"pod:redis-0", &c, 13},
                                     {"pod:redis-0", &d, 14},  {"host", nullptr, 1},     {"container:x", &e, 15},
                                     {"container:x", &e, 16}};
    make_labels_unique(ns);
    EXPECT_EQ(ns[0].label, "pod:web-7d9f/1a2b3c4d");
    EXPECT_EQ(ns[1].label, "pod:web-7d9f/9f8e7d6c");
    EXPECT_EQ(ns[2].label, "pod:shop/redis-0");
    EXPECT_EQ(ns[3].label, "pod:cache/redis-0");
    EXPECT_EQ(ns[4].label, "host");
    EXPECT_EQ(ns[5].label, "container:" + std::string(k_id).substr(0, 12) + "@15");
    EXPECT_EQ(ns[6].label, "container:" + std::string(k_id).substr(0, 12) + "@16");
    EXPECT_TRUE(pod_matches(a, "web-7d9f/1a2b3c4d"));
    EXPECT_FALSE(pod_matches(b, "web-7d9f/1a2b3c4d"));
    EXPECT_FALSE(pod_matches(a, "web-7d9f/1a2b"));  // too few digits to be sure
}

}  // namespace
}  // namespace kt

namespace kt {
namespace {
TEST(ContainerIdentityTest, AContainerLogLinkNamesThePodNamespaceContainerAndId) {
    const std::string id(64, 'c');
    auto c = parse_container_log_name("ingress-nginx-controller-5c8d_ingress-nginx_controller-" + id + ".log");
    ASSERT_TRUE(c.has_value());
    EXPECT_EQ(c->pod, "ingress-nginx-controller-5c8d");
    EXPECT_EQ(c->namespace_name, "ingress-nginx");
    EXPECT_EQ(c->container, "controller");
    EXPECT_EQ(c->container_id, id);
    EXPECT_FALSE(parse_container_log_name("a_b_c-" + id));                       // no .log
    EXPECT_FALSE(parse_container_log_name("a_b_c-" + std::string(63, 'c') + ".log"));  // short id
    EXPECT_FALSE(parse_container_log_name("a_b_c-" + std::string(64, 'g') + ".log"));  // not hex
    EXPECT_FALSE(parse_container_log_name("a_b-" + id + ".log"));                // no container
    EXPECT_FALSE(parse_container_log_name("a_b_c_d-" + id + ".log"));
    EXPECT_FALSE(parse_container_log_name("_b_c-" + id + ".log"));
}
}  // namespace
}  // namespace kt
