// The undo file: what an apply found before it changed anything, so `undo` can put it back.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "core/socket_options.hpp"

namespace kt {

struct SocketBefore {
    std::int32_t pid = 0;
    std::int32_t fd = 0;
    std::uint32_t inode = 0;  // so a recycled fd number is never touched
    bool listener = false;
    std::string local;  // for the report only
    std::string peer;
    SocketOptions before;
};

struct SysctlBefore {
    std::string netns_path;  // what to setns() to; empty = the netns undo runs in
    std::uint64_t netns_inode = 0;
    std::string name;  // "net.ipv4.tcp_keepalive_time"
    std::string value;
};

struct UndoRecord {
    std::string profile;
    std::vector<SocketBefore> sockets;
    std::vector<SysctlBefore> sysctls;
};

inline constexpr std::string_view k_undo_schema = "keepalive-tune.undo.v1";

std::string undo_to_json(const UndoRecord& r);
// `source` names the file in errors.
Result<UndoRecord> undo_from_json(std::string_view text, std::string_view source);

}  // namespace kt
