#include "core/change/undo_record.hpp"

#include <bit>
#include <nlohmann/json.hpp>

#include "core/profile/profile.hpp"
#include "core/socket/json_shapes.hpp"
#include "core/socket/tcp_state.hpp"
#include "core/text/json_document.hpp"
#include "core/text/number_parse.hpp"

namespace kt {

const KeepaliveSysctl* find_keepalive_sysctl(std::string_view name) {
    for (const auto& s : k_keepalive_sysctls)
        if (s.name == name) return &s;
    return nullptr;
}

namespace {
// The first problem ends the read: a file that is wrong anywhere is not trusted anywhere.
struct Malformed {
    std::string path;
    std::string why;
};

const nlohmann::json& at(const nlohmann::json& object, const std::string& path, const char* key) {
    if (!object.is_object()) throw Malformed{path, "expected an object"};
    const auto it = object.find(key);
    if (it == object.end()) throw Malformed{json_path(path, key), "required key is missing"};
    return *it;
}

std::uint64_t whole(const nlohmann::json& object, const std::string& path, const char* key, std::uint64_t lo,
                    std::uint64_t hi) {
    const auto& v = at(object, path, key);
    if (!v.is_number_unsigned() || v.get<std::uint64_t>() < lo || v.get<std::uint64_t>() > hi)
        throw Malformed{json_path(path, key), "expected a whole number in " + std::to_string(lo) + ".." +
                                                  std::to_string(hi) + ", got " + v.dump()};
    return v.get<std::uint64_t>();
}

bool boolean(const nlohmann::json& object, const std::string& path, const char* key) {
    const auto& v = at(object, path, key);
    if (!v.is_boolean()) throw Malformed{json_path(path, key), "expected true or false, got " + v.dump()};
    return v.get<bool>();
}

std::string text(const nlohmann::json& object, const std::string& path, const char* key) {
    const auto& v = at(object, path, key);
    if (!v.is_string()) throw Malformed{json_path(path, key), "expected a string, got " + v.dump()};
    return v.get<std::string>();
}

// Values getsockopt returned on a Linux socket, so restoring them cannot fail with EINVAL.
SocketOptions read_options(const nlohmann::json& v, const std::string& path) {
    SocketOptions o;
    o.keepalive = boolean(v, path, "so_keepalive");
    o.idle_seconds = static_cast<std::uint32_t>(whole(v, path, "idle_seconds", k_keepalive_seconds_min, k_keepalive_seconds_max));
    o.interval_seconds =
        static_cast<std::uint32_t>(whole(v, path, "interval_seconds", k_keepalive_seconds_min, k_keepalive_seconds_max));
    o.count = static_cast<std::uint32_t>(whole(v, path, "count", k_keepalive_count_min, k_keepalive_count_max));
    o.user_timeout_ms = static_cast<std::uint32_t>(whole(v, path, "user_timeout_ms", 0, k_user_timeout_ms_max));
    return o;
}

Endpoint read_endpoint(const nlohmann::json& s, const std::string& path, const char* key, bool v1) {
    const auto& v = at(s, path, key);
    auto e = v1 ? (v.is_string() ? endpoint_from_text(v.get<std::string>()) : std::nullopt) : endpoint_from_json(v);
    if (!e)
        throw Malformed{json_path(path, key), std::string("expected ") +
                                                  (v1 ? "\"address:port\"" : "{\"address\": ..., \"port\": ...}") +
                                                  ", got " + v.dump()};
    return *e;
}

SocketBefore read_socket(const nlohmann::json& s, const std::string& path, bool v1) {
    SocketBefore b;
    b.socket.pid = static_cast<std::int32_t>(whole(s, path, "pid", 1, 4194304));
    // The inode is what keeps a closed and reused fd number from being touched: never optional,
    // except for a connection recorded in an accept queue (fd null, inode 0, a cookie).
    const bool queued = !v1 && s.is_object() && s.contains("fd") && s["fd"].is_null();
    if (queued) {
        b.socket.fd = -1;
        b.socket.inode = static_cast<std::uint32_t>(whole(s, path, "inode", 0, 0));
        b.cookie = whole(s, path, "cookie", 1, UINT64_MAX);
    } else {
        b.socket.fd = static_cast<std::int32_t>(whole(s, path, "fd", 0, 2147483647));
        b.socket.inode = static_cast<std::uint32_t>(whole(s, path, "inode", 1, 4294967295));
    }
    if (v1) {
        const bool listener = boolean(s, path, "listener");
        b.socket.role = listener ? SocketRole::listener : SocketRole::upstream;
        b.socket.state = static_cast<std::uint8_t>(listener ? TcpState::listen : TcpState::established);
        b.role_known = listener;
    } else {
        const auto role = text(s, path, "role");
        auto mask = parse_role_list(role, "role");
        if (!mask || std::popcount(*mask) != 1)
            throw Malformed{json_path(path, "role"), "expected listener, accepted or upstream, got \"" + role + "\""};
        b.socket.role = static_cast<SocketRole>(std::countr_zero(*mask));
        const auto state = text(s, path, "state");
        const auto code = tcp_state_from_name(state);
        if (!code) throw Malformed{json_path(path, "state"), "expected a TCP state name, got \"" + state + "\""};
        b.socket.state = *code;
        if (queued && b.socket.role != SocketRole::accepted)
            throw Malformed{json_path(path, "fd"), "only an accepted connection (recorded in an accept queue) has no fd"};
    }
    b.socket.local = read_endpoint(s, path, "local", v1);
    b.socket.peer = read_endpoint(s, path, "peer", v1);
    b.before = read_options(at(s, path, "before"), json_path(path, "before"));
    return b;
}

SysctlBefore read_sysctl(const nlohmann::json& s, const std::string& path, bool v1) {
    SysctlBefore b;
    b.name = text(s, path, "name");
    const auto* known = find_keepalive_sysctl(b.name);
    if (!known)
        throw Malformed{json_path(path, "name"), b.name + " is not one of the keepalive sysctls apply records "
                                                          "(net.ipv4.tcp_keepalive_time, _intvl, _probes)"};
    b.netns_path = text(s, path, "netns_path");
    b.netns_inode = whole(s, path, "netns_inode", 0, UINT64_MAX);
    if (v1) {
        // v1 wrote the value as the text read from /proc/sys.
        const auto value = text(s, path, "value");
        auto n = parse_whole_number(value, known->min, known->max);
        if (!n) throw Malformed{json_path(path, "value"), n.error().why};
        b.value = static_cast<std::uint32_t>(*n);
        b.netns_label = b.netns_path.empty() ? "current" : b.netns_path;
    } else {
        b.value = static_cast<std::uint32_t>(whole(s, path, "value", known->min, known->max));
        b.netns_label = text(s, path, "netns");
    }
    return b;
}
}  // namespace

std::string undo_to_json(const UndoRecord& r) {
    nlohmann::json sockets = nlohmann::json::array();
    for (const auto& b : r.sockets) {
        const auto& s = b.socket;
        nlohmann::json entry = {{"pid", s.pid},
                           {"fd", s.fd < 0 ? nlohmann::json() : nlohmann::json(s.fd)},
                           {"inode", s.inode},
                           {"role", b.role_known ? nlohmann::json(std::string(role_name(s.role))) : nlohmann::json()},
                           {"state", std::string(tcp_state_name(s.state))},
                           {"local", endpoint_json(s.local)},
                           {"peer", endpoint_json(s.peer)},
                           {"before", options_json(b.before)}};
        if (b.cookie) entry["cookie"] = b.cookie;
        sockets.push_back(std::move(entry));
    }
    nlohmann::json sysctls = nlohmann::json::array();
    for (const auto& s : r.sysctls)
        sysctls.push_back({{"netns", s.netns_label},
                           {"netns_path", s.netns_path},
                           {"netns_inode", s.netns_inode},
                           {"name", s.name},
                           {"value", s.value}});
    return nlohmann::json({{"schema", k_undo_schema}, {"profile", r.profile}, {"sockets", sockets}, {"sysctls", sysctls}})
               .dump(2) +
           "\n";
}

Result<UndoRecord> undo_from_json(std::string_view text_in, std::string_view source) {
    auto doc = parse_json_document(text_in, source);
    if (!doc) return std::unexpected(doc.error());
    const std::string where(source);
    const std::string schema = doc->is_object() ? doc->value("schema", "") : "";
    if (schema != k_undo_schema && schema != k_undo_schema_v1)
        return fail(where, "not a keepalive-tune undo file (schema " + std::string(k_undo_schema) + ")");
    const bool v1 = schema == k_undo_schema_v1;
    try {
        UndoRecord r;
        if (const auto p = doc->find("profile"); p != doc->end() && p->is_string()) r.profile = p->get<std::string>();
        const auto& sockets = at(*doc, "", "sockets");
        if (!sockets.is_array()) throw Malformed{"/sockets", "expected an array"};
        for (std::size_t i = 0; i < sockets.size(); ++i)
            r.sockets.push_back(read_socket(sockets[i], "/sockets/" + std::to_string(i), v1));
        const auto& sysctls = at(*doc, "", "sysctls");
        if (!sysctls.is_array()) throw Malformed{"/sysctls", "expected an array"};
        for (std::size_t i = 0; i < sysctls.size(); ++i)
            r.sysctls.push_back(read_sysctl(sysctls[i], "/sysctls/" + std::to_string(i), v1));
        return r;
    } catch (const Malformed& m) {
        return fail(where + ": " + m.path, m.why + "; not restoring anything from this file (it is not one apply wrote)");
    }
}

}  // namespace kt
