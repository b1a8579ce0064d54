#include "sys/profile_store.hpp"

#include <algorithm>
#include <filesystem>
#include <set>

#include "build_config.hpp"
#include "core/text/nearest.hpp"
#include "sys/files.hpp"

namespace kt::sys {

std::vector<std::string> default_profile_dirs(const std::vector<std::string>& user_dirs) {
    ProfileSearch s;
    s.user_dirs = user_dirs;
    s.share_dir = build::k_profile_install_dir;
    // A moved install (DESTDIR, a tarball, a container image) keeps its profiles beside its
    // binary, as the preload library is found.
    if (const auto self = self_executable(); !self.empty())
        s.moved_share_dir = (std::filesystem::path(self).parent_path().parent_path() / build::k_profile_relative_dir)
                                .lexically_normal()
                                .string();
    s.source_dir = build::k_source_profile_dir;
    s.in_build_tree = is_inside_dir(self_executable(), build::k_build_dir);
    return profile_search_dirs(s);
}

std::expected<Profile, Errors> load_profile_file(const std::string& path) {
    auto text = read_text_file(path);
    if (!text) return std::unexpected(Errors{text.error()});
    auto profile = parse_profile(*text, path, middlebox_catalogue());
    if (!profile) return profile;
    const auto stem = std::filesystem::path(path).stem().string();
    if (profile->name != stem)
        return std::unexpected(Errors{Error{path + ": /name", "\"" + profile->name + "\" does not match the file name \"" +
                                                                  stem + ".json\"; rename one so they agree"}});
    return profile;
}

std::expected<Profile, Errors> load_profile(const std::string& name_or_path, const std::vector<std::string>& dirs) {
    if (looks_like_profile_path(name_or_path)) return load_profile_file(name_or_path);
    for (const auto& dir : dirs) {
        const std::string candidate = dir + "/" + profile_file_name(name_or_path);
        if (is_regular_file(candidate)) return load_profile_file(candidate);
    }
    std::vector<std::string> known;
    for (const auto& dir : dirs)
        for (const auto& f : files_in_dir(dir, ".json")) known.push_back(std::filesystem::path(f).stem().string());
    std::string searched;
    for (const auto& d : dirs) searched += (searched.empty() ? "" : ", ") + d;
    return std::unexpected(Errors{Error{"profile \"" + name_or_path + "\"",
                                        "not found" + did_you_mean(name_or_path, known) + " in " + searched +
                                            "; `keepalive-tune profile list` shows the available ones"}});
}

ProfileListing list_profiles(const std::vector<std::string>& dirs) {
    ProfileListing out;
    std::set<std::string> seen;
    for (const auto& dir : dirs) {
        // What `profile validate` would refuse is named here too, not skipped in silence.
        std::error_code ec;
        for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
            const auto name = entry.path().filename().string();
            if (name.starts_with('.') || !name.ends_with(".json") || entry.is_regular_file(ec)) continue;
            out.problems.push_back({entry.path().string(), entry.is_directory(ec)
                                                               ? "is a directory, not a profile file"
                                                               : "is not a regular file (a link to nothing?)"});
        }
        for (const auto& file : files_in_dir(dir, ".json")) {
            const auto stem = std::filesystem::path(file).stem().string();
            if (!seen.insert(stem).second) continue;
            auto p = load_profile_file(file);
            if (p)
                out.profiles.push_back(std::move(*p));
            else
                out.problems.insert(out.problems.end(), p.error().begin(), p.error().end());
        }
    }
    std::sort(out.profiles.begin(), out.profiles.end(),
              [](const Profile& a, const Profile& b) { return a.name < b.name; });
    return out;
}

}  // namespace kt::sys
