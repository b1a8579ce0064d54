#include "sys/cgroup_tree.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <unordered_map>

#include "core/socket/container_identity.hpp"

namespace kt::sys {

namespace {
template <class F>
void for_each_entry(const std::string& dir, F&& f) {
    DIR* d = ::opendir(dir.c_str());
    if (!d) return;
    while (const dirent* e = ::readdir(d)) {
        if (e->d_name[0] == '.') continue;
        f(*e);
    }
    ::closedir(d);
}
}  // namespace

std::vector<CgroupNode> list_cgroups(const CgroupTreeSources& sources) {
    std::unordered_map<std::string, std::string> pods;        // uid -> namespace/name
    std::unordered_map<std::string, std::string> containers;  // id -> name
    for_each_entry(sources.pod_logs, [&](const dirent& e) {
        if (auto p = parse_pod_log_dir(e.d_name)) pods[p->uid] = p->namespace_name + "/" + p->name;
    });
    for_each_entry(sources.container_logs, [&](const dirent& e) {
        if (auto c = parse_container_log_name(e.d_name)) containers[c->container_id] = c->container;
    });

    std::vector<CgroupNode> out;
    std::vector<std::string> pending{""};  // relative paths still to read
    while (!pending.empty()) {
        const std::string rel = std::move(pending.back());
        pending.pop_back();
        const std::string dir = rel.empty() ? sources.root : sources.root + "/" + rel;
        for_each_entry(dir, [&](const dirent& e) {
            if (e.d_type != DT_DIR) return;
            CgroupNode n;
            n.facts.path = rel.empty() ? std::string(e.d_name) : rel + "/" + e.d_name;
            n.absolute_path = sources.root + "/" + n.facts.path;
            // kernfs gives each directory's inode in readdir: the cgroup id, without a stat.
            n.id = e.d_ino;
            const auto identity = parse_cgroup_identity("0::/" + n.facts.path + "\n");
            if (!identity.pod_uid.empty())
                if (auto p = pods.find(identity.pod_uid); p != pods.end()) n.facts.pod = p->second;
            if (!identity.container_id.empty())
                if (auto c = containers.find(identity.container_id); c != containers.end()) n.facts.container = c->second;
            pending.push_back(n.facts.path);
            out.push_back(std::move(n));
        });
    }
    return out;
}

}  // namespace kt::sys
