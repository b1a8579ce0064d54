#include "sys/cgroup_tree.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
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

namespace {
// Pod and container names by pod UID and container id, from the kubelet's log directories.
struct Names {
    std::unordered_map<std::string, std::string> pods;        // uid -> namespace/name
    std::unordered_map<std::string, std::string> containers;  // id -> name

    explicit Names(const CgroupTreeSources& sources) {
        for_each_entry(sources.pod_logs, [&](const dirent& e) {
            if (auto p = parse_pod_log_dir(e.d_name)) pods[p->uid] = p->namespace_name + "/" + p->name;
        });
        for_each_entry(sources.container_logs, [&](const dirent& e) {
            if (auto c = parse_container_log_name(e.d_name)) containers[c->container_id] = c->container;
        });
    }

    CgroupNode node(const CgroupTreeSources& sources, std::string relative, std::uint64_t id) const {
        CgroupNode n;
        n.facts.path = std::move(relative);
        n.absolute_path = sources.root + "/" + n.facts.path;
        n.id = id;
        const auto identity = parse_cgroup_identity("0::/" + n.facts.path + "\n");
        if (!identity.pod_uid.empty())
            if (auto p = pods.find(identity.pod_uid); p != pods.end()) n.facts.pod = p->second;
        if (!identity.container_id.empty())
            if (auto c = containers.find(identity.container_id); c != containers.end()) n.facts.container = c->second;
        return n;
    }
};
}  // namespace

std::vector<CgroupNode> list_cgroups(const CgroupTreeSources& sources) {
    const Names names(sources);
    std::vector<CgroupNode> out;
    std::vector<std::string> pending{""};  // relative paths still to read
    while (!pending.empty()) {
        const std::string rel = std::move(pending.back());
        pending.pop_back();
        const std::string dir = rel.empty() ? sources.root : sources.root + "/" + rel;
        for_each_entry(dir, [&](const dirent& e) {
            if (e.d_type != DT_DIR) return;
            // kernfs gives each directory's inode in readdir: the cgroup id, without a stat.
            out.push_back(names.node(sources, rel.empty() ? std::string(e.d_name) : rel + "/" + e.d_name, e.d_ino));
            pending.push_back(out.back().facts.path);
        });
    }
    return out;
}

std::vector<CgroupNode> describe_cgroups(const CgroupTreeSources& sources, const std::vector<std::string>& dirs) {
    const Names names(sources);
    std::vector<CgroupNode> out;
    for (const auto& dir : dirs) {
        if (!dir.starts_with(sources.root + "/")) continue;
        struct stat st{};
        if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) continue;
        out.push_back(names.node(sources, dir.substr(sources.root.size() + 1), st.st_ino));
    }
    return out;
}

}  // namespace kt::sys
