// What the health and peer-closed kernel tests share: health's JSON and the connections in it,
// the engines health reads with, and waiting for a descriptor.
#pragma once

#include <poll.h>
#include <sys/stat.h>

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "support/run_binary.hpp"

namespace kt::test {

inline nlohmann::json health_json(const std::vector<std::string>& args, int expect_exit) {
    std::vector<std::string> all{"--json", "health"};
    all.insert(all.end(), args.begin(), args.end());
    const auto r = run_tool(all);
    EXPECT_EQ(r.exit_code, expect_exit) << r.out << r.err;
    return r.out.empty() ? nlohmann::json::object() : nlohmann::json::parse(r.out);
}

// The engines health reads idle times and values with: the BPF socket iterator where it is
// built, and tcp_info with pidfd_getfd. Both must reach the same verdicts.
inline std::vector<std::string> engines() {
    if (KT_BPF_BUILT) return {"bpf", "pidfd"};
    return {"pidfd"};
}

inline const nlohmann::json* connection_from_port(const nlohmann::json& doc, std::uint16_t local_port) {
    for (const auto& c : doc["connections"])
        if (c["local"]["port"] == local_port) return &c;
    return nullptr;
}

inline const nlohmann::json* connection_of_inode(const nlohmann::json& doc, int fd) {
    struct stat st {};
    if (fstat(fd, &st) != 0) return nullptr;
    for (const auto& c : doc["connections"])
        if (c["inode"] == st.st_ino) return &c;
    return nullptr;
}

// Waits up to `ms` for fd to become readable or fail; true if it did.
inline bool wait_readable(int fd, int ms) {
    pollfd p{fd, POLLIN, 0};
    return poll(&p, 1, ms) == 1;
}

}  // namespace kt::test
