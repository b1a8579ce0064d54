#include "sys/container_processes.hpp"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <set>

#include "core/container_identity.hpp"
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
