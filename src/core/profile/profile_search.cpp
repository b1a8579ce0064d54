#include "core/profile/profile_search.hpp"

namespace kt {

std::vector<std::string> profile_search_dirs(const ProfileSearch& s) {
    std::vector<std::string> dirs = s.user_dirs;
    dirs.push_back(s.etc_dir);
    if (!s.moved_share_dir.empty()) dirs.push_back(s.moved_share_dir);
    if (!s.share_dir.empty() && s.share_dir != s.moved_share_dir) dirs.push_back(s.share_dir);
    if (s.in_build_tree && !s.source_dir.empty()) dirs.push_back(s.source_dir);
    return dirs;
}

bool is_inside_dir(std::string_view exe, std::string_view build_dir) {
    while (build_dir.size() > 1 && build_dir.ends_with('/')) build_dir.remove_suffix(1);
    if (build_dir.empty() || !exe.starts_with(build_dir)) return false;
    return exe.size() > build_dir.size() && exe[build_dir.size()] == '/';
}

}  // namespace kt
