#include "core/change/enforce_config.hpp"

#include <algorithm>
#include <cstring>

#include "core/socket/socket_role.hpp"

namespace kt {

namespace {
std::uint32_t bpf_roles(std::uint8_t roles) {
    std::uint32_t out = 0;
    if (roles & role_bit(SocketRole::listener)) out |= KT_ROLE_LISTENER;
    if (roles & role_bit(SocketRole::accepted)) out |= KT_ROLE_ACCEPTED;
    if (roles & role_bit(SocketRole::upstream)) out |= KT_ROLE_UPSTREAM;
    return out;
}

template <std::size_t N>
std::string fixed_text(const char (&field)[N]) {
    return std::string(field, std::find(field, field + N, '\0'));
}
}  // namespace

std::uint32_t cgroup_level(std::string_view absolute_path) {
    std::uint32_t n = 0;
    std::size_t at = 0;
    while (at < absolute_path.size()) {
        const auto next = absolute_path.find('/', at);
        const auto part = absolute_path.substr(at, next == std::string_view::npos ? std::string_view::npos : next - at);
        if (!part.empty() && part != ".") ++n;
        if (next == std::string_view::npos) break;
        at = next + 1;
    }
    return n;
}

bool cgroup_inside(std::string_view inner, std::string_view outer) {
    while (outer.size() > 1 && outer.back() == '/') outer.remove_suffix(1);
    return inner.size() > outer.size() && inner.starts_with(outer) && inner[outer.size()] == '/';
}

Result<kt_enforce_config> make_enforce_config(const EnforceRequest& r) {
    kt_enforce_config c{};
    const Profile& p = *r.profile;
    if (p.name.size() >= sizeof c.profile)
        return fail("profile " + p.name, "a name longer than " + std::to_string(sizeof c.profile - 1) +
                                             " characters does not fit the pinned map");
    if (r.cgroup_path.size() >= sizeof c.cgroup_path)
        return fail("--cgroup " + r.cgroup_path, "a path longer than " + std::to_string(sizeof c.cgroup_path - 1) +
                                                     " characters does not fit the pinned map");
    c.keepalive = p.keepalive.enabled ? 1 : 0;
    c.idle_seconds = p.keepalive.idle_seconds;
    c.interval_seconds = p.keepalive.interval_seconds;
    c.count = p.keepalive.count;
    c.user_timeout_ms = p.user_timeout_ms.value_or(0);
    c.roles = bpf_roles(r.roles);
    c.override_app = r.override_app ? 1 : 0;
    c.level = cgroup_level(r.cgroup_path);
    c.cgroup_id = r.cgroup_id;
    c.since_unix = r.since_unix;
    std::memcpy(c.profile, p.name.data(), p.name.size());
    std::memcpy(c.cgroup_path, r.cgroup_path.data(), r.cgroup_path.size());
    return c;
}

EnforcedCgroup read_enforce_config(const kt_enforce_config& c) {
    EnforcedCgroup e;
    e.profile = fixed_text(c.profile);
    e.cgroup_path = fixed_text(c.cgroup_path);
    e.cgroup_id = c.cgroup_id;
    e.since_unix = c.since_unix;
    if (c.roles & KT_ROLE_LISTENER) e.roles |= role_bit(SocketRole::listener);
    if (c.roles & KT_ROLE_ACCEPTED) e.roles |= role_bit(SocketRole::accepted);
    if (c.roles & KT_ROLE_UPSTREAM) e.roles |= role_bit(SocketRole::upstream);
    e.override_app = c.override_app != 0;
    e.level = c.level;
    e.keepalive = c.keepalive != 0;
    e.idle_seconds = c.idle_seconds;
    e.interval_seconds = c.interval_seconds;
    e.count = c.count;
    e.user_timeout_ms = c.user_timeout_ms;
    return e;
}

std::string unified_cgroup_path(std::string_view text) {
    for (std::size_t at = 0; at < text.size();) {
        const std::size_t end = std::min(text.find('\n', at), text.size());
        const std::string_view line = text.substr(at, end - at);
        if (line.starts_with("0::")) return std::string(line.substr(3));
        at = end + 1;
    }
    return {};
}

namespace {

std::string values_text(const EnforcedCgroup& c) {
    if (!c.keepalive) return "keepalive off";
    std::string out = std::to_string(c.idle_seconds) + "/" + std::to_string(c.interval_seconds) + "/" +
                      std::to_string(c.count);
    if (c.user_timeout_ms) out += " user-timeout " + std::to_string(c.user_timeout_ms) + "ms";
    return out;
}

}  // namespace

std::vector<std::string> enforce_changes(const EnforcedCgroup& before, const EnforcedCgroup& after) {
    std::vector<std::string> out;
    if (before.profile != after.profile) out.push_back("profile " + before.profile + " -> " + after.profile);
    if (values_text(before) != values_text(after))
        out.push_back("values " + values_text(before) + " -> " + values_text(after));
    if (before.roles != after.roles)
        out.push_back("roles " + role_list_text(before.roles) + " -> " + role_list_text(after.roles));
    if (before.override_app != after.override_app)
        out.push_back(std::string("override-app ") + (before.override_app ? "on -> off" : "off -> on"));
    return out;
}

std::string pod_cgroup(const std::vector<std::string>& process_cgroups, std::string_view pod_uid) {
    if (process_cgroups.empty()) return {};
    if (!pod_uid.empty()) {
        std::string underscored(pod_uid);
        std::replace(underscored.begin(), underscored.end(), '-', '_');
        const std::string& path = process_cgroups.front();
        for (const std::string& mark : {"pod" + underscored, "pod" + std::string(pod_uid)}) {
            const std::size_t at = path.find(mark);
            if (at == std::string::npos) continue;
            const std::size_t end = path.find('/', at);
            return path.substr(0, end);
        }
    }
    // The deepest directory that holds them all, compared component by component.
    auto components = [](std::string_view path) {
        std::vector<std::string_view> out;
        for (std::size_t at = 0; at < path.size();) {
            const std::size_t end = std::min(path.find('/', at), path.size());
            if (end > at) out.push_back(path.substr(at, end - at));
            at = end + 1;
        }
        return out;
    };
    auto common = components(process_cgroups.front());
    for (const auto& p : process_cgroups) {
        const auto mine = components(p);
        std::size_t n = 0;
        while (n < common.size() && n < mine.size() && common[n] == mine[n]) ++n;
        common.resize(n);
    }
    std::string out;
    for (const auto c : common) out += "/" + std::string(c);
    return out.empty() ? "/" : out;
}

}  // namespace kt
