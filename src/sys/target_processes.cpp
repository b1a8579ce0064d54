#include "sys/target_processes.hpp"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <filesystem>

#include "sys/files.hpp"

namespace kt::sys {

namespace {
// cgroup.procs of `dir` and of every cgroup below it (a unit's or a pod's children).
Result<void> cgroup_pids(const std::string& dir, std::vector<std::int32_t>& out) {
    auto text = read_text_file(dir + "/cgroup.procs", 64 << 20);
    if (!text) return std::unexpected(text.error());
    const char* p = text->data();
    const char* end = p + text->size();
    while (p < end) {
        std::int32_t pid = 0;
        auto [next, ec] = std::from_chars(p, end, pid);
        if (ec == std::errc() && pid > 0) out.push_back(pid);
        p = next;
        while (p < end && (*p == '\n' || *p == ' ')) ++p;
        if (ec != std::errc()) break;
    }
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(dir, ec))
        if (e.is_directory(ec))
            if (auto r = cgroup_pids(e.path().string(), out); !r) return r;
    return {};
}
}  // namespace

Result<std::vector<std::int32_t>> cgroup_processes(const std::string& dir) {
    std::vector<std::int32_t> out;
    if (auto r = cgroup_pids(dir, out); !r) return std::unexpected(r.error());
    return out;
}

std::string cgroup2_mount(const std::string& mounts) {
    auto text = read_text_file(mounts, 4 << 20);
    if (text) {
        std::size_t start = 0;
        while (start < text->size()) {
            auto end = text->find('\n', start);
            if (end == std::string::npos) end = text->size();
            const std::string_view line(text->data() + start, end - start);
            // "cgroup2 /sys/fs/cgroup cgroup2 rw,..." : device, mount point, type.
            const auto a = line.find(' ');
            const auto b = a == std::string_view::npos ? a : line.find(' ', a + 1);
            if (b != std::string_view::npos && line.substr(b + 1).starts_with("cgroup2 "))
                return std::string(line.substr(a + 1, b - a - 1));
            start = end + 1;
        }
    }
    return "/sys/fs/cgroup";
}

Result<std::string> cgroup_dir_of(const std::string& given, const std::string& root) {
    if (given.starts_with(root + "/") || given == root) return given;
    if (!given.starts_with('/')) return root + "/" + given;
    const std::string below = root + given;
    struct stat st{};
    if (::stat(below.c_str(), &st) == 0) return below;
    // "/sys/fs/cgroup/system.slice/x" on a hybrid host, or a directory that is no cgroup at all.
    std::string relative;
    for (std::string_view prefix : {"/sys/fs/cgroup/unified/", "/sys/fs/cgroup/systemd/", "/sys/fs/cgroup/"})
        if (given.starts_with(prefix)) {
            relative = given.substr(prefix.size());
            break;
        }
    if (relative.empty() && ::stat(given.c_str(), &st) != 0) return below;  // let the caller say it is missing
    std::string why = "is not under the cgroup2 mount (" + root + ")";
    if (!relative.empty()) {
        const auto slash = relative.find('/');
        // Drop a v1 controller directory (memory/, cpu,cpuacct/) before the hierarchy's path.
        const std::string candidate = root + "/" + relative;
        const std::string without_controller =
            slash == std::string::npos ? std::string() : root + "/" + relative.substr(slash + 1);
        if (::stat(candidate.c_str(), &st) == 0) why += "; give the path below it: " + relative;
        else if (!without_controller.empty() && ::stat(without_controller.c_str(), &st) == 0)
            why += "; give the path below it: " + relative.substr(slash + 1);
        else why += "; give the path below it, as /proc/PID/cgroup shows its 0:: line";
    } else {
        why += "; give the path below it, as /proc/PID/cgroup shows its 0:: line (system.slice/nginx.service)";
    }
    return fail("--cgroup " + given, why);
}

bool process_exists(std::int32_t pid, const std::string& proc_root) {
    if (pid <= 0) return false;
    auto stat = read_text_file(proc_root + "/" + std::to_string(pid) + "/stat", 4096);
    if (!stat) return ::access((proc_root + "/" + std::to_string(pid)).c_str(), F_OK) == 0;
    // "pid (comm) S ...": the state follows the last ')', since comm may hold one.
    const auto paren = stat->rfind(')');
    return paren == std::string::npos || paren + 2 >= stat->size() || (*stat)[paren + 2] != 'Z';
}

std::expected<std::vector<std::int32_t>, Errors> resolve_targets(const TargetSpec& spec) {
    std::vector<std::int32_t> pids;
    Errors errors;
    for (auto pid : spec.pids) {
        if (!process_exists(pid, spec.proc_root))
            errors.push_back({"--pid " + std::to_string(pid), "no such process"});
        else
            pids.push_back(pid);
    }
    if (!spec.comms.empty()) {
        std::vector<std::size_t> found(spec.comms.size(), 0);
        if (DIR* d = ::opendir(spec.proc_root.c_str())) {
            while (dirent* e = ::readdir(d)) {
                if (!is_pid_name(e->d_name)) continue;
                const auto pid = static_cast<std::int32_t>(std::atoi(e->d_name));
                const auto comm = read_comm(spec.proc_root, pid);
                for (std::size_t i = 0; i < spec.comms.size(); ++i)
                    if (comm == spec.comms[i]) {
                        pids.push_back(pid);
                        ++found[i];
                    }
            }
            ::closedir(d);
        }
        for (std::size_t i = 0; i < spec.comms.size(); ++i)
            if (found[i] == 0) errors.push_back({"--comm " + spec.comms[i], "no process has this name (see /proc/PID/comm, at most 15 characters)"});
    }
    const std::string root = spec.cgroups.empty() ? std::string() : spec.cgroup_root.empty() ? cgroup2_mount() : spec.cgroup_root;
    for (const auto& cg : spec.cgroups) {
        // A full path under the mount as given; otherwise relative to the mount, as
        // systemd and /proc/PID/cgroup write them ("/system.slice/nginx.service").
        const auto resolved = cgroup_dir_of(cg, root);
        if (!resolved) {
            errors.push_back(resolved.error());
            continue;
        }
        const std::string& dir = *resolved;
        std::vector<std::int32_t> in;
        if (auto r = cgroup_pids(dir, in); !r)
            errors.push_back({"--cgroup " + cg, r.error().why + " (a cgroup v2 directory such as system.slice/nginx.service)"});
        else if (in.empty())
            errors.push_back({"--cgroup " + cg, "has no processes"});
        pids.insert(pids.end(), in.begin(), in.end());
    }
    if (!errors.empty()) return std::unexpected(errors);
    std::sort(pids.begin(), pids.end());
    pids.erase(std::unique(pids.begin(), pids.end()), pids.end());
    if (pids.empty()) return std::unexpected(Errors{{"target", "give --pid, --comm or --cgroup"}});
    return pids;
}

}  // namespace kt::sys
