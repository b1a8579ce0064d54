#include "sys/program_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

#include "build_config.hpp"
#include "core/profile/profile_search.hpp"
#include "sys/files.hpp"
#include "sys/unique_fd.hpp"

namespace kt::sys {

namespace {
constexpr const char* k_default_path = "/usr/local/bin:/usr/bin:/bin";
constexpr const char* k_library_name = "libkeepalive-tune-preload.so";

bool executable_file(const std::string& path) {
    struct stat st {};
    return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && access(path.c_str(), X_OK) == 0;
}

Result<ProgramFacts> describe_binary(const std::string& path) {
    struct stat st {};
    if (stat(path.c_str(), &st) != 0) return std::unexpected(Error{path, errno_text(errno), errno});
    ProgramFacts facts;
    facts.path = path;
    facts.setuid = st.st_mode & S_ISUID;
    // Set-gid without group-execute means mandatory locking, not a privilege change.
    facts.setgid = (st.st_mode & S_ISGID) && (st.st_mode & S_IXGRP);
    facts.file_capabilities = getxattr(path.c_str(), "security.capability", nullptr, 0) > 0;
    UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) return std::unexpected(Error{path, "cannot read it: " + errno_text(errno), errno});
    const ReadAt read = [&](std::uint64_t offset, std::span<std::byte> out) -> std::size_t {
        const ssize_t n = pread(fd.get(), out.data(), out.size(), static_cast<off_t>(offset));
        return n > 0 ? static_cast<std::size_t>(n) : 0;
    };
    if (auto elf = inspect_elf(read, path)) facts.elf = *elf;
    return facts;
}

std::string first_line(const std::string& path) {
    UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) return {};
    char buf[256];
    const ssize_t n = read(fd.get(), buf, sizeof buf);
    return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
}
}  // namespace

Result<std::string> find_program(const std::string& name, const char* path_env) {
    if (name.empty()) return std::unexpected(Error{"COMMAND", "is empty", ENOENT});
    if (name.find('/') != std::string::npos) {
        struct stat st {};
        if (stat(name.c_str(), &st) != 0) return std::unexpected(Error{name, errno_text(errno), errno});
        if (!executable_file(name)) return std::unexpected(Error{name, "is not an executable file", EACCES});
        return name;
    }
    const std::string dirs = path_env ? path_env : k_default_path;
    bool found_unexecutable = false;
    std::size_t at = 0;
    while (at <= dirs.size()) {
        auto end = dirs.find(':', at);
        if (end == std::string::npos) end = dirs.size();
        const std::string dir = end > at ? dirs.substr(at, end - at) : ".";
        const std::string candidate = dir + "/" + name;
        if (executable_file(candidate)) return candidate;
        found_unexecutable = found_unexecutable || access(candidate.c_str(), F_OK) == 0;
        at = end + 1;
    }
    if (found_unexecutable) return std::unexpected(Error{name, "found in PATH but not executable", EACCES});
    return std::unexpected(Error{name, "command not found in PATH", ENOENT});
}

Result<ProgramFacts> describe_program(const std::string& path, const char* path_env) {
    const auto shebang = parse_shebang(first_line(path));
    if (!shebang) return describe_binary(path);
    std::string interpreter = shebang->interpreter;
    // `#!/usr/bin/env python3`: env is dynamic, but what matters is the program it runs.
    if (std::filesystem::path(interpreter).filename() == "env" && !shebang->argument.empty() &&
        shebang->argument.front() != '-') {
        const auto word = shebang->argument.substr(0, shebang->argument.find(' '));
        auto resolved = find_program(word, path_env);
        if (resolved) interpreter = *resolved;
    }
    auto facts = describe_binary(interpreter);
    if (!facts) return std::unexpected(Error{path, "its interpreter " + interpreter + ": " + facts.error().why, facts.error().code});
    return facts;
}

Result<std::string> preload_library_path() {
    const std::string self = self_executable();
    const std::string build_dir = build::k_build_dir;
    std::vector<std::string> candidates;
    if (is_inside_dir(self, build_dir)) candidates.push_back(build_dir + "/" + k_library_name);
    // A relocated install (DESTDIR, a tarball): the lib dir beside this binary's bin dir.
    if (!self.empty())
        candidates.push_back((std::filesystem::path(self).parent_path().parent_path() / build::k_lib_relative_dir / k_library_name)
                                 .lexically_normal()
                                 .string());
    candidates.push_back(std::string(build::k_lib_install_dir) + "/" + k_library_name);
    for (const auto& c : candidates)
        if (is_regular_file(c)) return c;
    std::string looked;
    for (const auto& c : candidates) looked += (looked.empty() ? "" : ", ") + c;
    return fail(k_library_name, "not found (looked in " + looked + "); install keepalive-tune with `cmake --install build`");
}

}  // namespace kt::sys
