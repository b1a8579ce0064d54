#include "sys/netns_identity.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/utsname.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <set>
#include <thread>

#include "sys/files.hpp"
#include "sys/netns.hpp"
#include "sys/unique_fd.hpp"

namespace kt::sys {

namespace {

std::uint64_t inode_of(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 ? static_cast<std::uint64_t>(st.st_ino) : 0;
}

std::vector<std::int32_t> all_pids(const std::string& proc_root) {
    std::vector<std::int32_t> pids;
    if (DIR* d = ::opendir(proc_root.c_str())) {
        while (dirent* e = ::readdir(d))
            if (is_pid_name(e->d_name)) pids.push_back(static_cast<std::int32_t>(std::atoi(e->d_name)));
        ::closedir(d);
    }
    std::sort(pids.begin(), pids.end());
    return pids;
}

// "namespace/name" from the pod's log directory, else the hostname the kubelet wrote for it.
std::string pod_name(const std::string& uid, const PodSources& sources) {
    std::string found;
    if (DIR* d = ::opendir(sources.pod_logs.c_str())) {
        while (dirent* e = ::readdir(d)) {
            const auto pod = parse_pod_log_dir(e->d_name);
            if (pod && pod->uid == uid) {
                found = pod->namespace_name + "/" + pod->name;
                break;
            }
        }
        ::closedir(d);
    }
    if (!found.empty()) return found;
    auto hosts = read_text_file(sources.kubelet_root + "/pods/" + uid + "/etc-hosts", 1 << 20);
    return hosts ? parse_kubelet_etc_hosts(*hosts) : std::string();
}

bool keeps_its_label(const NetnsTarget& t) {
    return !t.label.starts_with("pid:") && !t.label.starts_with("netns:");
}

}  // namespace

std::string own_hostname() {
    struct utsname u {};
    return ::uname(&u) == 0 ? std::string(u.nodename) : std::string();
}

// The kernel keeps a hostname per UTS namespace and shows it only to tasks inside
// (uname(2), /proc/sys/kernel/hostname); nothing under /proc/PID names another one.
// /proc/PID/root/etc/hostname is a file the container's image or runtime wrote, which
// sethostname() does not change and which need not exist. So a short-lived thread joins the
// process's UTS namespace (setns with CLONE_NEWUTS, allowed per thread in a threaded process,
// CAP_SYS_ADMIN) and asks uname(); the change ends with the thread, so no other code runs in
// that namespace.
std::string uts_hostname(std::int32_t pid, const std::string& proc_root) {
    const std::string path = proc_root + "/" + std::to_string(pid) + "/ns/uts";
    const std::uint64_t theirs = inode_of(path);
    if (theirs == 0) return {};
    if (theirs == inode_of("/proc/thread-self/ns/uts")) return own_hostname();
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) return {};
    std::string name;
    std::thread([&] {
        if (::setns(fd.get(), CLONE_NEWUTS) == 0) name = own_hostname();
    }).join();
    return name;
}

void identify_namespaces(std::vector<NetnsTarget>& targets, const PodSources& sources) {
    const std::string host = own_hostname();
    std::map<std::uint64_t, std::size_t> wanted;
    for (std::size_t i = 0; i < targets.size(); ++i) {
        if (targets[i].label == "host") {
            targets[i].identity.hostname = host;
            continue;
        }
        wanted.emplace(targets[i].inode, i);
    }
    if (wanted.empty()) return;

    // The oldest process of each namespace speaks for it (hostname, container), as it names
    // it in "pid:N"; every process adds its container to the namespace's list.
    std::vector<std::int32_t> speaker(targets.size(), 0);
    std::vector<std::set<std::string>> containers(targets.size());
    for (const std::int32_t pid : all_pids(sources.proc_root)) {
        const std::string dir = sources.proc_root + "/" + std::to_string(pid);
        const auto it = wanted.find(inode_of(dir + "/ns/net"));
        if (it == wanted.end()) continue;
        auto text = read_text_file(dir + "/cgroup", 64 << 10);
        if (!text) continue;  // exited meanwhile
        const auto cg = parse_cgroup_identity(*text);
        NetnsIdentity& id = targets[it->second].identity;
        if (speaker[it->second] == 0) speaker[it->second] = pid;
        if (!cg.container_id.empty()) {
            containers[it->second].insert(cg.container_id);
            if (id.container_id.empty()) {
                id.container_id = cg.container_id;
                id.runtime = cg.runtime;
            }
        }
        if (id.pod_uid.empty()) id.pod_uid = cg.pod_uid;
    }
    for (const auto& [inode, i] : wanted) {
        NetnsTarget& t = targets[i];
        NetnsIdentity& id = t.identity;
        id.container_ids.assign(containers[i].begin(), containers[i].end());
        const std::int32_t pid = t.pid ? t.pid : speaker[i];
        if (pid) id.hostname = uts_hostname(pid, sources.proc_root);
        if (!id.pod_uid.empty()) id.pod = pod_name(id.pod_uid, sources);
        if (keeps_its_label(t)) continue;
        if (auto label = container_label(id, host); !label.empty()) t.label = std::move(label);
    }
    // Pods of one name (a StatefulSet's redis-0 in several Kubernetes namespaces): series and
    // check's state file are keyed by label, so every label must be unique.
    std::vector<LabelledNetns> labelled;
    for (const auto& t : targets) labelled.push_back({t.label, &t.identity, t.inode});
    make_labels_unique(labelled);
    for (std::size_t i = 0; i < targets.size(); ++i) targets[i].label = std::move(labelled[i].label);
}

Result<std::vector<NetnsTarget>> filter_by_container(std::vector<NetnsTarget> targets, const std::string& pod,
                                                     const std::string& container) {
    std::vector<NetnsTarget> chosen;
    for (auto& t : targets)
        if ((!pod.empty() && t.label != "host" && pod_matches(t.identity, pod)) || (!container.empty() && container_matches(t.identity, container)))
            chosen.push_back(std::move(t));
    const std::string what = !pod.empty() ? "--pod " + pod : "--container " + container;
    if (chosen.empty())
        return fail(what, !pod.empty() ? "no network namespace holds a pod of that name, or a process with that hostname"
                                       : "no network namespace holds a container whose id starts with that");
    if (chosen.size() > 1) {
        std::string labels;
        for (const auto& t : chosen) labels += (labels.empty() ? "" : ", ") + t.label;
        return fail(what, "fits " + std::to_string(chosen.size()) + " network namespaces (" + labels + "); " +
                              (!pod.empty() ? "give one of these labels without \"pod:\" (NAMESPACE/NAME or NAME/UID)"
                                             : "give more digits of the id"));
    }
    return chosen;
}

}  // namespace kt::sys
