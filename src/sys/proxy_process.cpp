#include "sys/proxy_process.hpp"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>

#include "sys/files.hpp"

namespace kt::sys {

namespace {

std::string read_link(const std::string& path) {
    char buf[4096];
    const ssize_t n = ::readlink(path.c_str(), buf, sizeof buf - 1);
    if (n <= 0) return {};
    return std::string(buf, static_cast<std::size_t>(n));
}

std::int32_t parent_of(const std::string& proc_root, std::int32_t pid) {
    auto status = read_text_file(proc_root + "/" + std::to_string(pid) + "/status", 1 << 16);
    if (!status) return 0;
    const auto at = status->find("\nPPid:");
    if (at == std::string::npos) return 0;
    return static_cast<std::int32_t>(std::atoi(status->c_str() + at + 6));
}

bool is_directory(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

}  // namespace

Result<ProcessFacts> read_process_facts(const std::string& proc_root, std::int32_t pid) {
    const std::string what = "--pid " + std::to_string(pid);
    const std::string dir = proc_root + "/" + std::to_string(pid);
    ProcessFacts f;
    f.pid = pid;
    f.comm = read_comm(proc_root, pid);
    if (f.comm.empty()) return fail(what, "no such process");
    auto cmdline = read_text_file(dir + "/cmdline", 1 << 20);
    if (!cmdline) return fail(what, "cannot read its command line: " + cmdline.error().why);
    std::size_t start = 0;
    while (start < cmdline->size()) {
        auto end = cmdline->find('\0', start);
        if (end == std::string::npos) end = cmdline->size();
        f.argv.push_back(cmdline->substr(start, end - start));
        start = end + 1;
    }
    while (!f.argv.empty() && f.argv.back().empty()) f.argv.pop_back();
    // A kernel thread has an empty command line.
    if (f.argv.empty()) return fail(what, "has an empty command line (a kernel thread or a zombie)");
    f.exe = read_link(dir + "/exe");
    f.cwd = read_link(dir + "/cwd");
    if (f.cwd.empty() || f.cwd[0] != '/') f.cwd = "/";
    f.root = dir + "/root";
    f.root_target = read_link(f.root);
    f.ppid = parent_of(proc_root, pid);
    struct stat st {};
    if (::stat((dir + "/ns/mnt").c_str(), &st) == 0) f.mount_ns = static_cast<std::uint64_t>(st.st_ino);
    return f;
}

std::vector<std::int32_t> descendants_of(const std::string& proc_root, std::int32_t pid) {
    std::vector<std::pair<std::int32_t, std::int32_t>> parents;  // (pid, ppid)
    if (DIR* d = ::opendir(proc_root.c_str())) {
        while (dirent* e = ::readdir(d)) {
            if (!is_pid_name(e->d_name)) continue;
            const auto p = static_cast<std::int32_t>(std::atoi(e->d_name));
            parents.emplace_back(p, parent_of(proc_root, p));
        }
        ::closedir(d);
    }
    std::vector<std::int32_t> out, level{pid};
    for (int depth = 0; depth < 4 && !level.empty(); ++depth) {
        std::vector<std::int32_t> next;
        for (const auto& [p, pp] : parents)
            if (std::find(level.begin(), level.end(), pp) != level.end() && p != pid) next.push_back(p);
        out.insert(out.end(), next.begin(), next.end());
        level = std::move(next);
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

Result<std::vector<ConfigFile>> read_config_files_under(const std::string& root, const std::vector<std::string>& paths) {
    std::vector<ConfigFile> out;
    for (const auto& path : paths) {
        const std::string real = root + path;
        std::vector<std::string> files;
        if (is_directory(real)) {
            for (const auto& f : files_in_dir(real, ".cfg")) files.push_back(path + f.substr(real.size()));
            if (files.empty()) return fail(path, "a directory without *.cfg files");
        } else {
            files.push_back(path);
        }
        for (const auto& f : files) {
            auto text = read_text_file(root + f);
            if (!text) return fail(f, text.error().why + " (read through " + root + ")");
            out.push_back({f, std::move(*text)});
        }
    }
    return out;
}

}  // namespace kt::sys
