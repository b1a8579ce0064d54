#include "render/inspect_summary_view.hpp"

namespace kt::render {

std::string inspect_summary_text(const InspectSummary& s, const std::string& netns, std::int32_t pid,
                                 const std::string& comm) {
    std::string out = "netns " + netns;
    if (pid) out += " (pid " + std::to_string(pid) + (comm.empty() ? "" : " " + comm) + ")";
    out += ": " + std::to_string(s.total) + " sockets\n  by state:";
    for (std::uint8_t st = 1; st <= k_tcp_state_max; ++st) {
        if (st == static_cast<std::uint8_t>(TcpState::new_syn_recv) || s.by_state[st] == 0) continue;
        out += " " + std::string(tcp_state_name(st)) + " " + std::to_string(s.by_state[st]);
    }
    if (s.total == 0) out += " none";
    out += "\n  by role:";
    for (std::size_t r = 0; r < k_role_count; ++r)
        out += " " + std::string(role_name(static_cast<SocketRole>(r))) + " " + std::to_string(s.by_role[r]);
    out += "\n  keepalive among established: armed " + std::to_string(s.established_armed) + ", off " +
           std::to_string(s.established_off) + ", unknown " + std::to_string(s.established_unknown) + "\n";
    return out;
}

nlohmann::json inspect_summary_json(const InspectSummary& s, const std::string& netns, std::uint64_t inode) {
    nlohmann::json by_state = nlohmann::json::object();
    for (std::uint8_t st = 1; st <= k_tcp_state_max; ++st) {
        if (st == static_cast<std::uint8_t>(TcpState::new_syn_recv)) continue;
        by_state[std::string(tcp_state_name(st))] = s.by_state[st] +
            (st == static_cast<std::uint8_t>(TcpState::syn_recv) ? s.by_state[k_tcp_state_max] : 0);
    }
    nlohmann::json by_role = nlohmann::json::object();
    for (std::size_t r = 0; r < k_role_count; ++r) by_role[std::string(role_name(static_cast<SocketRole>(r)))] = s.by_role[r];
    return {{"netns", netns},
            {"inode", inode},
            {"total", s.total},
            {"by_state", by_state},
            {"by_role", by_role},
            {"established_keepalive",
             {{"armed", s.established_armed}, {"off", s.established_off}, {"unknown", s.established_unknown}}}};
}

}  // namespace kt::render
