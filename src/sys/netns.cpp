#include "sys/netns.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <map>

#include "sys/files.hpp"
#include "sys/unique_fd.hpp"

namespace kt::sys {

namespace {
Result<std::uint64_t> netns_inode(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        const int err = errno;
        std::string why = errno_text(err);
        if (err == EACCES) why += "; reading another user's namespaces needs root";
        return fail(path, why);
    }
    return static_cast<std::uint64_t>(st.st_ino);
}

}  // namespace

Result<NetnsTarget> current_netns(const std::string& proc_root) {
    auto inode = netns_inode(proc_root + "/self/ns/net");
    if (!inode) return std::unexpected(inode.error());
    NetnsTarget t;
    t.inode = *inode;
    auto init = netns_inode(proc_root + "/1/ns/net");
    t.label = (init && *init == *inode) ? "host" : "netns:" + std::to_string(*inode);
    return t;
}

Result<NetnsTarget> netns_by_name(const std::string& name_or_path, const std::string& run_netns) {
    const bool is_path = name_or_path.find('/') != std::string::npos;
    if (!is_path && (name_or_path.empty() || name_or_path == "." || name_or_path == ".."))
        return fail("--netns " + name_or_path, "not a namespace name");
    NetnsTarget t;
    t.path = is_path ? name_or_path : run_netns + "/" + name_or_path;
    auto inode = netns_inode(t.path);
    if (!inode) {
        Error e = inode.error();
        e.what = "--netns " + name_or_path;
        if (!is_path) e.why += " (`ip netns list` shows the names in " + run_netns + ")";
        return std::unexpected(e);
    }
    t.inode = *inode;
    t.label = is_path ? "netns:" + std::to_string(*inode) : name_or_path;
    return t;
}

Result<NetnsTarget> netns_of_pid(std::int32_t pid, const std::string& proc_root) {
    if (pid <= 0) return fail("--netns-of " + std::to_string(pid), "not a process id");
    const std::string dir = proc_root + "/" + std::to_string(pid);
    struct stat st {};
    if (::stat(dir.c_str(), &st) != 0) return fail("--netns-of " + std::to_string(pid), "no such process");
    NetnsTarget t;
    t.path = dir + "/ns/net";
    auto inode = netns_inode(t.path);
    if (!inode) return fail("--netns-of " + std::to_string(pid), inode.error().why);
    t.inode = *inode;
    t.pid = pid;
    t.comm = read_comm(proc_root, pid);
    auto init = netns_inode(proc_root + "/1/ns/net");
    t.label = (init && *init == *inode) ? "host" : "pid:" + std::to_string(pid);
    return t;
}

NetnsDiscovery discover_netns(const std::string& proc_root, const std::string& run_netns) {
    NetnsDiscovery out;
    std::map<std::uint64_t, NetnsTarget> by_inode;
    std::uint64_t host_inode = 0;
    if (auto init = netns_inode(proc_root + "/1/ns/net")) host_inode = *init;

    // Named namespaces first, so a namespace with a name is labelled by it.
    if (DIR* d = ::opendir(run_netns.c_str())) {
        while (dirent* e = ::readdir(d)) {
            if (e->d_name[0] == '.') continue;
            auto t = netns_by_name(e->d_name, run_netns);
            if (!t) {
                out.problems.push_back(t.error());
                continue;
            }
            by_inode.emplace(t->inode, std::move(*t));
        }
        ::closedir(d);
    }
    // In pid order, so each namespace is labelled by its oldest process (pid 1 for the host).
    std::vector<std::int32_t> pids;
    if (DIR* d = ::opendir(proc_root.c_str())) {
        while (dirent* e = ::readdir(d))
            if (is_pid_name(e->d_name)) pids.push_back(static_cast<std::int32_t>(std::atoi(e->d_name)));
        ::closedir(d);
    }
    std::sort(pids.begin(), pids.end());
    {
        for (const std::int32_t pid : pids) {
            const std::string pid_text = std::to_string(pid);
            const std::string path = proc_root + "/" + pid_text + "/ns/net";
            auto inode = netns_inode(path);
            if (!inode) continue;  // a process that exited, or a kernel thread without one
            auto [it, inserted] = by_inode.try_emplace(*inode);
            NetnsTarget& t = it->second;
            if (inserted) {
                t.inode = *inode;
                t.path = path;
                t.label = *inode == host_inode ? "host" : "pid:" + pid_text;
            }
            if (t.pid == 0) {
                t.pid = pid;
                t.comm = read_comm(proc_root, pid);
            }
        }
    }
    for (auto& [inode, t] : by_inode) out.found.push_back(std::move(t));
    std::stable_partition(out.found.begin(), out.found.end(),
                          [&](const NetnsTarget& t) { return t.inode == host_inode; });
    return out;
}

Result<std::vector<NetnsTarget>> select_netns(const std::string& name, std::int32_t netns_of, bool all,
                                              Errors& problems) {
    const int chosen = int(!name.empty()) + int(netns_of != 0) + int(all);
    if (chosen > 1) return fail("--netns, --netns-of and --all-netns", "give at most one of them");
    if (!name.empty()) {
        auto t = netns_by_name(name);
        if (!t) return std::unexpected(t.error());
        return std::vector<NetnsTarget>{*t};
    }
    if (netns_of != 0) {
        auto t = netns_of_pid(netns_of);
        if (!t) return std::unexpected(t.error());
        return std::vector<NetnsTarget>{*t};
    }
    if (all) {
        auto found = discover_netns();
        for (auto& p : found.problems) problems.push_back(std::move(p));
        return found.found;
    }
    auto self = current_netns();
    if (!self) return std::unexpected(self.error());
    return std::vector<NetnsTarget>{*self};
}

Result<void> run_in_netns(const NetnsTarget& target, const std::function<Result<void>()>& body) {
    if (target.path.empty()) return body();
    UniqueFd home(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
    if (!home) return fail("netns " + target.label, "cannot open this thread's netns: " + errno_text(errno));
    UniqueFd there(::open(target.path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!there) return fail("netns " + target.label, errno_text(errno));
    if (::setns(there.get(), CLONE_NEWNET) != 0) {
        const int err = errno;
        return fail("netns " + target.label, "cannot enter: " + errno_text(err) +
                                                 (err == EPERM ? "; entering a network namespace needs CAP_SYS_ADMIN (run as root)" : ""));
    }
    auto result = body();
    if (::setns(home.get(), CLONE_NEWNET) != 0)
        return fail("netns " + target.label, "cannot return to the original netns: " + errno_text(errno));
    return result;
}

}  // namespace kt::sys
