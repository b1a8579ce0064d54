// What `enforce` pins for a cgroup: the profile's values for new connections, and what
// `enforce --list` shows of it. The same struct is the BPF map's value.
#pragma once

#include <cstdint>
#include <string>

#include "bpf/kt_bpf_shared.h"
#include "core/error.hpp"
#include "core/profile.hpp"

namespace kt {

struct EnforceRequest {
    const Profile* profile = nullptr;
    std::uint8_t roles = 0;  // role_bit() of listener, accepted, upstream
    bool override_app = false;
    std::string cgroup_path;  // absolute cgroup v2 directory
    std::uint64_t cgroup_id = 0;
    std::uint64_t since_unix = 0;
};

// The map value; an error when a name does not fit its fixed field.
Result<kt_enforce_config> make_enforce_config(const EnforceRequest& r);

// The pinned value read back, as plain values.
struct EnforcedCgroup {
    std::string profile;
    std::string cgroup_path;
    std::uint64_t cgroup_id = 0;
    std::uint64_t since_unix = 0;
    std::uint8_t roles = 0;
    bool override_app = false;
    bool keepalive = false;
    std::uint32_t idle_seconds = 0, interval_seconds = 0, count = 0, user_timeout_ms = 0;
};
EnforcedCgroup read_enforce_config(const kt_enforce_config& c);

}  // namespace kt
