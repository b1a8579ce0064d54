// Where profiles are looked up by name, in order; the first directory holding NAME.json wins.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace kt {

inline constexpr std::string_view k_etc_profile_dir = "/etc/keepalive-tune/profiles";

struct ProfileSearch {
    std::vector<std::string> user_dirs;  // --profile-dir, in the order given
    std::string etc_dir{k_etc_profile_dir};
    std::string moved_share_dir;  // the profiles beside this binary (bin/../share/...), for a moved install
    std::string share_dir;   // the installed profiles
    std::string source_dir;  // the source tree's profiles/, only for a binary in the build tree
    bool in_build_tree = false;
};

// --profile-dir..., /etc/keepalive-tune/profiles, the share dir beside the binary, the configured
// share dir (once, when they are the same), then (from a build tree) the sources.
std::vector<std::string> profile_search_dirs(const ProfileSearch& s);

// True when the executable at `exe` sits inside `build_dir` (so the source profiles are current).
bool is_inside_dir(std::string_view exe, std::string_view build_dir);

}  // namespace kt
