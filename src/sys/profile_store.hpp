// Finding and loading profiles from the search directories or a path.
#pragma once

#include <expected>
#include <string>
#include <vector>

#include "core/profile/profile.hpp"
#include "core/profile/profile_search.hpp"
#include "core/text/error.hpp"

namespace kt::sys {

// The search order for this process: --profile-dir values, /etc, the installed share dir,
// and the source tree when this binary runs from its build tree.
std::vector<std::string> default_profile_dirs(const std::vector<std::string>& user_dirs);

// Loads NAME (searched in `dirs`) or a PATH. A profile whose "name" differs from its file
// name is refused, since it could not be found by the name it claims.
std::expected<Profile, Errors> load_profile(const std::string& name_or_path, const std::vector<std::string>& dirs);

// Loads one file by path (for `profile validate`).
std::expected<Profile, Errors> load_profile_file(const std::string& path);

struct ProfileListing {
    std::vector<Profile> profiles;  // by name; a name in an earlier dir hides later ones
    Errors problems;                // files that did not load
};
ProfileListing list_profiles(const std::vector<std::string>& dirs);

}  // namespace kt::sys
