#include "sys/config_files.hpp"

#include <glob.h>
#include <limits.h>
#include <stdlib.h>

#include <algorithm>

#include "sys/files.hpp"

namespace kt::sys {

std::string directory_of(const std::string& path) {
    const auto slash = path.rfind('/');
    if (slash == std::string::npos) return ".";
    if (slash == 0) return "/";
    return path.substr(0, slash);
}

namespace {

std::string real_directory(const std::string& dir) {
    char buf[PATH_MAX];
    if (::realpath(dir.c_str(), buf) == nullptr) return dir;
    std::string out(buf);
    if (out != "/") out += '/';
    return out;
}

}  // namespace

IncludeResolver include_resolver(std::string base_dir, std::string root) {
    // An absolute include is read from this host; with a process's root it is that process's
    // own file, and otherwise it is the audited configuration's only when it lies under the
    // audited file's directory.
    std::string real_base = root.empty() ? real_directory(base_dir) : std::string();
    return [base = std::move(base_dir), root = std::move(root), real_base = std::move(real_base)](
               std::string_view pattern, std::string_view) -> Result<std::vector<ConfigFile>> {
        std::string full(pattern);
        if (full.empty()) return fail("include", "an empty path");
        const bool absolute = full[0] == '/';
        if (full[0] != '/' && base != ".") full = base + "/" + full;
        std::vector<std::string> paths;
        if (full.find_first_of("*?[") == std::string::npos) {
            paths.push_back(full);
        } else {
            glob_t g{};
            const int rc = ::glob((root + full).c_str(), GLOB_NOSORT, nullptr, &g);
            if (rc != 0 && rc != GLOB_NOMATCH) {
                ::globfree(&g);
                return fail(full, "cannot expand the pattern");
            }
            for (std::size_t i = 0; i < g.gl_pathc; ++i) paths.emplace_back(g.gl_pathv[i] + root.size());
            ::globfree(&g);
            std::sort(paths.begin(), paths.end());
        }
        std::vector<ConfigFile> out;
        for (const auto& p : paths) {
            if (!is_regular_file(root + p) && full.find_first_of("*?[") != std::string::npos) continue;
            auto text = read_text_file(root + p);
            if (!text) return std::unexpected(text.error());
            const bool from_host = absolute && root.empty() && !p.starts_with(real_base);
            out.push_back({p, std::move(*text), from_host});
        }
        return out;
    };
}

}  // namespace kt::sys
