#include "render/audit_live_view.hpp"

#include "core/socket/ip_text.hpp"

namespace kt::render {

namespace {

std::string socket_text(const ObservedListener& s) {
    return endpoint_string(s.local) + " (pid " + std::to_string(s.pid) + " fd " + std::to_string(s.fd) + "): " +
           live_values_text(s.options);
}

nlohmann::json socket_json(const ObservedListener& s) {
    return {{"local", endpoint_string(s.local)},
            {"pid", s.pid},
            {"fd", s.fd},
            {"inode", s.inode},
            {"keepalive", s.options.keepalive},
            {"idle_seconds", s.options.idle_seconds},
            {"interval_seconds", s.options.interval_seconds},
            {"count", s.options.count},
            {"user_timeout_ms", s.options.user_timeout_ms}};
}

}  // namespace

std::string audit_live_text(const LiveAudit& live) {
    const auto& p = live.process;
    std::string out = "running " + std::string(proxy_kind_name(p.kind)) + " pid " + std::to_string(p.pid);
    if (p.owners.size() > 1) {
        out += " (children";
        for (std::size_t i = 1; i < p.owners.size(); ++i) out += " " + std::to_string(p.owners[i]);
        out += ")";
    }
    out += ", netns " + p.netns + ", listening sockets read with the " + p.engine + " engine\n";
    out += "command line: " + std::string(p.default_config ? "no configuration named, the default " : "configuration ");
    for (std::size_t i = 0; i < p.config_paths.size(); ++i) out += (i ? ", " : "") + p.config_paths[i];
    out += "\n";
    for (const auto& c : live.listeners) {
        out += "  listener " + c.declared.address + "  " + c.declared.at.file_line() + "  declared: " +
               (c.declared.declared_text.empty() ? "no keepalive" : c.declared.declared_text) + "  -> " +
               std::string(live_verdict_name(c.verdict)) + "\n";
        for (const auto& s : c.sockets) out += "      socket " + socket_text(s) + "\n";
    }
    for (const auto& s : live.undeclared) out += "  listening socket no declared listener accounts for: " + socket_text(s) + "\n";
    return out + "\n";
}

nlohmann::json audit_live_json(const LiveAudit& live) {
    const auto& p = live.process;
    nlohmann::json listeners = nlohmann::json::array();
    for (const auto& c : live.listeners) {
        nlohmann::json sockets = nlohmann::json::array();
        for (const auto& s : c.sockets) sockets.push_back(socket_json(s));
        listeners.push_back({{"object", c.declared.object},
                             {"address", c.declared.address},
                             {"at", c.declared.at.file_line()},
                             {"declared", c.declared.declared_text},
                             {"verdict", std::string(live_verdict_name(c.verdict))},
                             {"sockets", sockets}});
    }
    nlohmann::json undeclared = nlohmann::json::array();
    for (const auto& s : live.undeclared) undeclared.push_back(socket_json(s));
    return {{"pid", p.pid},
            {"kind", std::string(proxy_kind_name(p.kind))},
            {"owners", p.owners},
            {"netns", p.netns},
            {"engine", p.engine},
            {"command_line_config", p.config_paths},
            {"default_config", p.default_config},
            {"listeners", listeners},
            {"undeclared_sockets", undeclared}};
}

}  // namespace kt::render
