#include "core/undo_record.hpp"

#include <nlohmann/json.hpp>

#include "core/json_document.hpp"

namespace kt {

std::string undo_to_json(const UndoRecord& r) {
    nlohmann::json sockets = nlohmann::json::array();
    for (const auto& s : r.sockets)
        sockets.push_back({{"pid", s.pid},
                           {"fd", s.fd},
                           {"inode", s.inode},
                           {"listener", s.listener},
                           {"local", s.local},
                           {"peer", s.peer},
                           {"before",
                            {{"so_keepalive", s.before.keepalive},
                             {"idle_seconds", s.before.idle_seconds},
                             {"interval_seconds", s.before.interval_seconds},
                             {"count", s.before.count},
                             {"user_timeout_ms", s.before.user_timeout_ms}}}});
    nlohmann::json sysctls = nlohmann::json::array();
    for (const auto& s : r.sysctls)
        sysctls.push_back(
            {{"netns_path", s.netns_path}, {"netns_inode", s.netns_inode}, {"name", s.name}, {"value", s.value}});
    return nlohmann::json({{"schema", k_undo_schema}, {"profile", r.profile}, {"sockets", sockets}, {"sysctls", sysctls}})
               .dump(2) +
           "\n";
}

Result<UndoRecord> undo_from_json(std::string_view text, std::string_view source) {
    auto doc = parse_json_document(text, source);
    if (!doc) return std::unexpected(doc.error());
    const std::string where(source);
    try {
        if (!doc->is_object() || doc->value("schema", "") != k_undo_schema)
            return fail(where, "not a keepalive-tune undo file (schema " + std::string(k_undo_schema) + ")");
        UndoRecord r;
        r.profile = doc->value("profile", "");
        for (const auto& s : doc->at("sockets")) {
            SocketBefore b;
            b.pid = s.at("pid").get<std::int32_t>();
            b.fd = s.at("fd").get<std::int32_t>();
            b.inode = s.at("inode").get<std::uint32_t>();
            b.listener = s.at("listener").get<bool>();
            b.local = s.value("local", "");
            b.peer = s.value("peer", "");
            const auto& v = s.at("before");
            b.before.keepalive = v.at("so_keepalive").get<bool>();
            b.before.idle_seconds = v.at("idle_seconds").get<std::uint32_t>();
            b.before.interval_seconds = v.at("interval_seconds").get<std::uint32_t>();
            b.before.count = v.at("count").get<std::uint32_t>();
            b.before.user_timeout_ms = v.at("user_timeout_ms").get<std::uint32_t>();
            r.sockets.push_back(b);
        }
        for (const auto& s : doc->at("sysctls"))
            r.sysctls.push_back({s.at("netns_path").get<std::string>(), s.at("netns_inode").get<std::uint64_t>(),
                                 s.at("name").get<std::string>(), s.at("value").get<std::string>()});
        return r;
    } catch (const nlohmann::json::exception& e) {
        // The file is written by apply; a hand-edited one that lost a field is refused whole.
        return fail(where, std::string("malformed undo file: ") + e.what());
    }
}

}  // namespace kt
