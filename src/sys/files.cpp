#include "sys/files.hpp"

#include <malloc.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "sys/unique_fd.hpp"

namespace kt::sys {

std::string errno_text(int err) { return std::string(strerrordesc_np(err) ? strerrordesc_np(err) : "unknown error"); }

Result<std::string> read_text_file(const std::string& path, std::size_t limit) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) return std::unexpected(Error{path, errno_text(errno), errno});
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) return fail(path, errno_text(errno));
    if (S_ISDIR(st.st_mode)) return fail(path, "is a directory, not a file");
    std::string out;
    char buf[8192];
    for (;;) {
        const ssize_t n = ::read(fd.get(), buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) continue;
            return fail(path, errno_text(errno));
        }
        if (n == 0) break;
        out.append(buf, static_cast<std::size_t>(n));
        if (out.size() > limit) return fail(path, "larger than " + std::to_string(limit) + " bytes");
    }
    return out;
}

std::vector<std::string> files_in_dir(const std::string& dir, std::string_view suffix) {
    std::vector<std::string> out;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
        const auto name = entry.path().filename().string();
        if (name.starts_with('.') || !name.ends_with(suffix)) continue;
        if (!entry.is_regular_file(ec)) continue;
        out.push_back(entry.path().string());
    }
    std::sort(out.begin(), out.end());
    return out;
}

bool is_regular_file(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

Result<void> write_file_atomically(const std::string& path, std::string_view text, unsigned mode) {
    const std::filesystem::path target(path);
    const std::string dir = target.has_parent_path() ? target.parent_path().string() : ".";
    std::string tmp = dir + "/." + target.filename().string() + ".XXXXXX";
    UniqueFd fd(::mkstemp(tmp.data()));
    if (!fd) return fail(path, "cannot create a temporary file in " + dir + ": " + errno_text(errno));
    auto cleanup = [&](int err) {
        ::unlink(tmp.c_str());
        return fail(path, errno_text(err));
    };
    std::size_t done = 0;
    while (done < text.size()) {
        const ssize_t n = ::write(fd.get(), text.data() + done, text.size() - done);
        if (n < 0) {
            if (errno == EINTR) continue;
            return cleanup(errno);
        }
        done += static_cast<std::size_t>(n);
    }
    if (::fchmod(fd.get(), mode) != 0 || ::fsync(fd.get()) != 0) return cleanup(errno);
    fd.reset();
    if (::rename(tmp.c_str(), path.c_str()) != 0) return cleanup(errno);
    UniqueFd dfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (dfd) ::fsync(dfd.get());
    return {};
}

Result<void> check_file_writable(const std::string& path) {
    if (path.empty()) return fail(path, "no file named");
    struct stat st{};
    if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return fail(path, "is a directory");
    const auto slash = path.rfind('/');
    const std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
    if (::stat(dir.c_str(), &st) != 0) return fail(path, "cannot create it in " + dir + ": " + errno_text(errno));
    if (!S_ISDIR(st.st_mode)) return fail(path, dir + " is not a directory");
    // The file is written as a temporary in the directory and renamed over the path.
    if (::access(dir.c_str(), W_OK | X_OK) != 0) return fail(path, "cannot create a file in " + dir + ": " + errno_text(errno));
    return {};
}

namespace {
// The capability a hint names ("... needs CAP_SYS_ADMIN"), as its bit number, or -1.
int capability_named_in(std::string_view needs) {
    static constexpr std::pair<std::string_view, int> k_caps[] = {
        {"CAP_DAC_OVERRIDE", 1}, {"CAP_NET_ADMIN", 12}, {"CAP_SYS_PTRACE", 19},
        {"CAP_SYS_ADMIN", 21},   {"CAP_PERFMON", 38},   {"CAP_BPF", 39}};
    for (auto [name, bit] : k_caps)
        if (needs.find(name) != std::string_view::npos) return bit;
    return -1;
}

// Whether this process's effective set holds capability `bit` (/proc/self/status CapEff).
bool has_effective_capability(int bit) {
    auto status = read_text_file("/proc/self/status", 1 << 16);
    if (!status) return true;  // cannot tell: do not blame the capability set
    const auto at = status->find("CapEff:");
    if (at == std::string::npos) return true;
    const auto mask = std::strtoull(status->c_str() + at + 7, nullptr, 16);
    return (mask >> bit) & 1U;
}
}  // namespace

std::string refusal_hint(std::string_view needs) {
    if (::geteuid() != 0) return "; " + std::string(needs) + " (run as root)";
    // Root without the capability: the caller's own set was reduced (capsh --drop, a container's
    // securityContext), which no property of the target explains.
    if (const int bit = capability_named_in(needs); bit >= 0 && !has_effective_capability(bit))
        return "; " + std::string(needs) + ", which this process lacks although it runs as root (its capability set "
               "was reduced: capsh --drop, or a container without it in securityContext.capabilities.add)";
    return "; the kernel refused although this runs as root: the target holds capabilities this process lacks "
           "(a reduced capability set or a container), or an LSM (SELinux, AppArmor), Yama or seccomp policy refused";
}

std::string read_comm(const std::string& proc_root, std::int32_t pid) {
    auto text = read_text_file(proc_root + "/" + std::to_string(pid) + "/comm", 4096);
    if (!text) return {};
    std::string comm = std::move(*text);
    while (!comm.empty() && comm.back() == '\n') comm.pop_back();
    return comm;
}

bool is_pid_name(const char* name) {
    if (!*name) return false;
    for (; *name; ++name)
        if (*name < '0' || *name > '9') return false;
    return true;
}

void return_free_memory() { ::malloc_trim(0); }

std::string self_executable() {
    std::error_code ec;
    auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
    return ec ? std::string() : p.string();
}

}  // namespace kt::sys

#include <sys/resource.h>

namespace kt::sys {

std::uint64_t raise_fd_limit() {
    rlimit r{};
    if (::getrlimit(RLIMIT_NOFILE, &r) != 0) return 0;
    if (r.rlim_cur < r.rlim_max) {
        r.rlim_cur = r.rlim_max;
        if (::setrlimit(RLIMIT_NOFILE, &r) != 0) ::getrlimit(RLIMIT_NOFILE, &r);
    }
    return r.rlim_cur;
}

}  // namespace kt::sys
