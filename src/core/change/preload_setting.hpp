// The value of KEEPALIVE_TUNE_PRELOAD that `exec` hands to the preload library
// (src/preload/preload_config.h parses it).
#pragma once

#include <string>

#include "core/profile/profile.hpp"

namespace kt {

struct PreloadRoles {
    bool listener = true;
    bool upstream = true;
};

// "v1 keepalive=1 idle=240 interval=30 count=4 user_timeout=360000 roles=listener,upstream enforce=0";
// user_timeout is left out when the profile leaves it alone.
std::string preload_setting(const Profile& p, PreloadRoles roles, bool enforce);

// "listener", "upstream" or "listener,upstream" (as --role takes them); an error names the word.
Result<PreloadRoles> parse_preload_roles(std::string_view text);

// LD_PRELOAD with `library` first, keeping what was there (space separated, as ld.so reads it).
std::string preload_list(std::string_view library, std::string_view existing);

}  // namespace kt
