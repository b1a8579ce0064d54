#include "sys/netns.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/statfs.h>

#include <algorithm>
#include <cerrno>
#include <map>
#include <set>

#include "sys/files.hpp"
#include "sys/netns_identity.hpp"
#include "sys/unique_fd.hpp"

namespace kt::sys {

namespace {
Result<std::uint64_t> netns_inode(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        const int err = errno;
        std::string why = errno_text(err);
        if (err == EACCES || err == EPERM) why += refusal_hint("reading another process's namespace needs CAP_SYS_PTRACE");
        return fail(path, why);
    }
    return static_cast<std::uint64_t>(st.st_ino);
}

// init_net's inode where the kernel gives it a fixed one (PROC_NET_INIT_INO, 0xEFFFFFF9);
// the fallback when /proc/1/ns/net cannot be read (a caller without CAP_SYS_PTRACE over pid 1).
constexpr std::uint64_t k_init_net_fixed_inode = 0xEFFFFFF9u;
constexpr decltype(statfs::f_type) k_nsfs_magic = 0x6e736673;  // NSFS_MAGIC, include/uapi/linux/magic.h

std::uint64_t host_netns_inode(const std::string& proc_root) {
    if (auto init = netns_inode(proc_root + "/1/ns/net")) return *init;
    return k_init_net_fixed_inode;
}

// The name under run_netns that is this namespace, or empty.
std::string run_netns_name(std::uint64_t inode, const std::string& run_netns) {
    std::string name;
    if (DIR* d = ::opendir(run_netns.c_str())) {
        while (dirent* e = ::readdir(d)) {
            if (e->d_name[0] == '.') continue;
            struct stat st {};
            if (::stat((run_netns + "/" + e->d_name).c_str(), &st) == 0 && st.st_ino == inode) {
                name = e->d_name;
                break;
            }
        }
        ::closedir(d);
    }
    return name;
}

std::vector<std::int32_t> sorted_pids(const std::string& proc_root) {
    std::vector<std::int32_t> pids;
    if (DIR* d = ::opendir(proc_root.c_str())) {
        while (dirent* e = ::readdir(d))
            if (is_pid_name(e->d_name)) pids.push_back(static_cast<std::int32_t>(std::atoi(e->d_name)));
        ::closedir(d);
    }
    std::sort(pids.begin(), pids.end());
    return pids;
}

}  // namespace

std::string netns_label(std::uint64_t inode, const std::string& proc_root, const std::string& run_netns) {
    if (auto name = run_netns_name(inode, run_netns); !name.empty()) return name;
    if (inode == host_netns_inode(proc_root)) return "host";
    for (const std::int32_t pid : sorted_pids(proc_root)) {
        struct stat st {};
        if (::stat((proc_root + "/" + std::to_string(pid) + "/ns/net").c_str(), &st) == 0 && st.st_ino == inode)
            return "pid:" + std::to_string(pid);
    }
    return "netns:" + std::to_string(inode);
}

Result<NetnsTarget> current_netns(const std::string& proc_root) {
    auto inode = netns_inode(proc_root + "/self/ns/net");
    if (!inode) return std::unexpected(inode.error());
    NetnsTarget t;
    t.inode = *inode;
    t.label = netns_label(*inode, proc_root);
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
    // nsfs files only: anything else would fail later at setns with a bare EINVAL.
    struct statfs fs {};
    if (is_path && ::statfs(t.path.c_str(), &fs) == 0 && fs.f_type != k_nsfs_magic)
        return fail("--netns " + name_or_path, "is not a namespace file (a name from `ip netns list`, or a path "
                                               "such as /proc/PID/ns/net or /run/netns/NAME)");
    t.inode = *inode;
    t.label = is_path ? netns_label(*inode, "/proc", run_netns) : name_or_path;
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
    t.label = netns_label(*inode, proc_root);
    return t;
}

NetnsDiscovery discover_netns(const std::string& proc_root, const std::string& run_netns) {
    NetnsDiscovery out;
    std::map<std::uint64_t, NetnsTarget> by_inode;
    const std::uint64_t host_inode = host_netns_inode(proc_root);

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
    // In pid order, so each namespace is labelled by its oldest process, as netns_label does.
    {
        for (const std::int32_t pid : sorted_pids(proc_root)) {
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

Result<std::vector<NetnsTarget>> select_netns(const NetnsChoice& choice, Errors& problems) {
    const bool by_container = !choice.pod.empty() || !choice.container.empty();
    const int chosen = int(!choice.name.empty()) + int(choice.pid != 0) + int(choice.all) + int(!choice.pod.empty()) +
                       int(!choice.container.empty());
    if (chosen > 1) return fail("--netns, --netns-of, --all-netns, --pod and --container", "give at most one of them");
    std::vector<NetnsTarget> out;
    if (!choice.name.empty()) {
        auto t = netns_by_name(choice.name);
        if (!t) return std::unexpected(t.error());
        out.push_back(std::move(*t));
    } else if (choice.pid != 0) {
        auto t = netns_of_pid(choice.pid);
        if (!t) return std::unexpected(t.error());
        out.push_back(std::move(*t));
    } else if (choice.all || by_container) {
        auto found = discover_netns();
        // Unreadable entries matter to --all-netns; a selector reports only what it found.
        if (choice.all)
            for (auto& p : found.problems) problems.push_back(std::move(p));
        out = std::move(found.found);
    } else {
        auto self = current_netns();
        if (!self) return std::unexpected(self.error());
        out.push_back(std::move(*self));
    }
    identify_namespaces(out);
    if (by_container) return filter_by_container(std::move(out), choice.pod, choice.container);
    return out;
}

// The namespaces of the processes --pid and --comm chose, each once: sockets are looked for
// where their owners are, as apply does. The caller's own namespace needs no setns.
std::vector<NetnsTarget> namespaces_of(const std::vector<std::int32_t>& pids, Errors& warnings) {
    std::vector<NetnsTarget> out;
    auto self = current_netns();
    // Callers pass one pid per socket: each process is looked at once.
    std::set<std::int32_t> done;
    for (const auto pid : pids) {
        if (!done.insert(pid).second) continue;
        auto ns = netns_of_pid(pid);
        if (!ns) {
            warnings.push_back({"pid " + std::to_string(pid), "cannot see its network namespace (" + ns.error().why +
                                                                  "); looking for its sockets in this one"});
            if (!self) continue;
            ns = *self;
        } else if (self && ns->inode == self->inode) {
            ns = *self;
        }
        bool seen = false;
        for (const auto& t : out) seen = seen || t.inode == ns->inode;
        if (!seen) out.push_back(std::move(*ns));
    }
    if (out.empty() && self) out.push_back(*self);
    return out;
}

Result<void> run_in_netns(const NetnsTarget& target, const std::function<Result<void>()>& body) {
    if (target.path.empty()) return body();
    UniqueFd home(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
    if (!home) return fail("netns " + target.label, "cannot open this thread's netns: " + errno_text(errno));
    UniqueFd there(::open(target.path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!there) return fail("netns " + target.label, errno_text(errno));
    if (::setns(there.get(), CLONE_NEWNET) != 0) {
        const int err = errno;
        std::string why = "cannot enter: " + errno_text(err);
        if (err == EPERM) why += refusal_hint("entering a network namespace needs CAP_SYS_ADMIN");
        if (err == EINVAL) why = "is not a network namespace (setns: " + errno_text(err) + ")";
        return fail("netns " + target.label, why);
    }
    auto result = body();
    if (::setns(home.get(), CLONE_NEWNET) != 0)
        return fail("netns " + target.label, "cannot return to the original netns: " + errno_text(errno));
    return result;
}

}  // namespace kt::sys
