#include "sys/container_processes.hpp"

#include "core/change/enforce_config.hpp"
#include "core/socket/container_identity.hpp"
#include "sys/files.hpp"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <set>

#include "core/socket/container_identity.hpp"
#include "sys/files.hpp"
#include "sys/netns.hpp"

namespace kt::sys {

namespace {
template <typename F>
void for_each_pid(const std::string& proc_root, F&& f) {
    if (DIR* d = ::opendir(proc_root.c_str())) {
        while (dirent* e = ::readdir(d))
            if (is_pid_name(e->d_name)) f(static_cast<std::int32_t>(std::atoi(e->d_name)));
        ::closedir(d);
    }
}
}  // namespace

Result<std::vector<std::int32_t>> processes_of_pod(const std::string& name, const std::string& proc_root) {
    Errors ignored;
    NetnsChoice choice;
    choice.pod = name;
    auto chosen = select_netns(choice, ignored);
    if (!chosen) return std::unexpected(chosen.error());
    const std::uint64_t inode = chosen->front().inode;
    std::vector<std::int32_t> pids;
    for_each_pid(proc_root, [&](std::int32_t pid) {
        struct stat st {};
        if (::stat((proc_root + "/" + std::to_string(pid) + "/ns/net").c_str(), &st) == 0 && st.st_ino == inode)
            pids.push_back(pid);
    });
    std::sort(pids.begin(), pids.end());
    if (pids.empty()) return fail("--pod " + name, "its processes exited");
    return pids;
}

Result<std::vector<std::int32_t>> processes_of_container(const std::string& prefix, const std::string& proc_root) {
    if (prefix.empty()) return fail("--container", "give the start of a container id");
    std::vector<std::int32_t> pids;
    std::set<std::string> ids;
    for_each_pid(proc_root, [&](std::int32_t pid) {
        auto text = read_text_file(proc_root + "/" + std::to_string(pid) + "/cgroup", 64 << 10);
        if (!text) return;
        const auto id = parse_cgroup_identity(*text);
        if (id.container_id.empty() || !id.container_id.starts_with(prefix)) return;
        ids.insert(id.container_id);
        pids.push_back(pid);
    });
    if (ids.empty()) return fail("--container " + prefix, "no process runs in a container whose id starts with that");
    if (ids.size() > 1)
        return fail("--container " + prefix,
                    "fits " + std::to_string(ids.size()) + " containers; give more digits of the id");
    std::sort(pids.begin(), pids.end());
    return pids;
}

}  // namespace kt::sys

namespace kt::sys {

namespace {
Result<std::string> cgroup_of(const Result<std::vector<std::int32_t>>& pids, const std::string& what, bool pod,
                              const std::string& proc_root) {
    if (!pids) return std::unexpected(pids.error());
    std::vector<std::string> paths;
    std::string pod_uid;
    for (const auto pid : *pids) {
        auto text = read_text_file(proc_root + "/" + std::to_string(pid) + "/cgroup", 1 << 16);
        if (!text) continue;  // exited meanwhile
        const auto path = unified_cgroup_path(*text);
        if (path.empty()) continue;
        paths.push_back(path);
        if (pod && pod_uid.empty()) pod_uid = parse_cgroup_identity(*text).pod_uid;
    }
    const std::string dir = pod_cgroup(paths, pod_uid);
    if (dir.empty()) return fail(what, "its processes are in no cgroup v2 directory (is cgroup2 mounted?)");
    if (dir == "/") return fail(what, "its processes share only the root cgroup: give --cgroup PATH instead");
    return dir;
}
}  // namespace

Result<std::string> cgroup_of_pod(const std::string& name, const std::string& proc_root) {
    return cgroup_of(processes_of_pod(name, proc_root), "--pod " + name, true, proc_root);
}

Result<std::string> cgroup_of_container(const std::string& prefix, const std::string& proc_root) {
    return cgroup_of(processes_of_container(prefix, proc_root), "--container " + prefix, false, proc_root);
}

}  // namespace kt::sys
