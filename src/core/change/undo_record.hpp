// The undo file: what an apply found before it changed anything, so `undo` can put it back.
// The file is input like any other: `undo` runs as root, so everything in it is checked
// before anything is restored, and only what apply itself records is accepted.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/change/apply_plan.hpp"
#include "core/socket/socket_options.hpp"
#include "core/text/error.hpp"

namespace kt {

struct SocketBefore {
    SocketRef socket;        // pid, fd and inode (never 0: a recycled fd must not match) find it again
    bool role_known = true;  // files of schema v1 recorded only "listener or not"
    SocketOptions before;
    // A connection the BPF engine changed while it waited in the accept queue of `pid`'s
    // listener: no fd and inode 0 then, so only its socket cookie finds it again.
    std::uint64_t cookie = 0;
};

// The only sysctls apply writes, with the values a profile may give them (the socket
// options' own ranges; the sysctls themselves accept 0, -1 or anything).
struct KeepaliveSysctl {
    std::string_view name;
    std::uint32_t min;
    std::uint32_t max;
};
inline constexpr std::array<KeepaliveSysctl, 3> k_keepalive_sysctls = {{
    {"net.ipv4.tcp_keepalive_time", 1, 32767},
    {"net.ipv4.tcp_keepalive_intvl", 1, 32767},
    {"net.ipv4.tcp_keepalive_probes", 1, 127},
}};
const KeepaliveSysctl* find_keepalive_sysctl(std::string_view name);

struct SysctlBefore {
    std::string netns_label;  // as the namespace was named when apply ran ("host", "ktns2")
    std::string netns_path;   // what to setns() to; empty = the netns undo runs in
    std::uint64_t netns_inode = 0;
    std::string name;  // one of k_keepalive_sysctls
    std::uint32_t value = 0;
};

struct UndoRecord {
    std::string profile;
    std::vector<SocketBefore> sockets;
    std::vector<SysctlBefore> sysctls;
};

inline constexpr std::string_view k_undo_schema = "keepalive-tune.undo.v2";
inline constexpr std::string_view k_undo_schema_v1 = "keepalive-tune.undo.v1";
// Undo files hold pids, fds and addresses of other users' connections.
inline constexpr unsigned k_undo_file_mode = 0600;

std::string undo_to_json(const UndoRecord& r);
// Reads schema v2 and v1. Any entry that apply could not have written (a zero inode, a sysctl
// other than the three above, a value out of range, a missing field) refuses the whole file,
// naming `source` and the JSON path.
Result<UndoRecord> undo_from_json(std::string_view text, std::string_view source);

}  // namespace kt
