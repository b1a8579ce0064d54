#include "core/socket/container_identity.hpp"

#include <algorithm>
#include <array>
#include <map>

namespace kt {

namespace {

bool is_hex_id(std::string_view s) {
    return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
               return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
           });
}

bool is_uid(std::string_view s) {
    // 8-4-4-4-12 hex with dashes (or underscores in systemd slice names).
    if (s.size() != 36) return false;
    for (std::size_t i = 0; i < s.size(); ++i) {
        const char c = s[i];
        const bool sep = i == 8 || i == 13 || i == 18 || i == 23;
        if (sep ? (c != '-' && c != '_') : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    }
    return true;
}

std::string dashed(std::string_view uid) {
    std::string out(uid);
    std::replace(out.begin(), out.end(), '_', '-');
    return out;
}

struct RuntimePrefix {
    std::string_view prefix;
    std::string_view runtime;
};
// Scope names of the systemd driver. "crio-conmon-<id>.scope" is CRI-O's monitor process,
// which stays in the host's namespaces: it is not a container.
constexpr std::array<RuntimePrefix, 4> k_scope_prefixes{{{"cri-containerd-", "containerd"},
                                                         {"crio-", "cri-o"},
                                                         {"docker-", "docker"},
                                                         {"libpod-", "podman"}}};

// One path segment: a pod slice or directory, a container scope, or a bare id.
void read_segment(std::string_view seg, std::string_view parent, CgroupIdentity& out) {
    // kubepods-pod<uid>.slice, kubepods-burstable-pod<uid>.slice, kubepods-besteffort-pod<uid>.slice
    if (seg.starts_with("kubepods-") && seg.ends_with(".slice")) {
        const auto body = seg.substr(0, seg.size() - 6);
        const auto at = body.rfind("-pod");
        if (at != std::string_view::npos && is_uid(body.substr(at + 4))) out.pod_uid = dashed(body.substr(at + 4));
        return;
    }
    // cgroupfs: /kubepods/[burstable|besteffort/]pod<uid>
    if (seg.starts_with("pod") && is_uid(seg.substr(3))) {
        out.pod_uid = dashed(seg.substr(3));
        return;
    }
    if (seg.ends_with(".scope")) {
        const auto body = seg.substr(0, seg.size() - 6);
        for (const auto& p : k_scope_prefixes)
            if (body.starts_with(p.prefix) && is_hex_id(body.substr(p.prefix.size()))) {
                out.runtime = p.runtime;
                out.container_id = body.substr(p.prefix.size());
            }
        return;
    }
    // containerd under the systemd driver without a scope per container (kind, k3s):
    // "kubepods-besteffort-pod<uid>.slice:cri-containerd:<id>".
    if (const auto colon = seg.rfind(':'); colon != std::string_view::npos && is_hex_id(seg.substr(colon + 1))) {
        const auto first = seg.find(':');
        read_segment(seg.substr(0, first), parent, out);
        const auto runtime = seg.substr(first + 1, colon - first - 1);
        out.runtime = runtime == "cri-containerd" ? "containerd" : runtime == "crio" ? "cri-o" : std::string(runtime);
        out.container_id = seg.substr(colon + 1);
        return;
    }
    if (is_hex_id(seg)) {
        out.container_id = seg;
        out.runtime = parent == "docker" ? "docker" : "";
    }
}

CgroupIdentity identity_of_path(std::string_view path) {
    CgroupIdentity out;
    std::string_view parent;
    std::size_t start = 0;
    while (start <= path.size()) {
        auto end = path.find('/', start);
        if (end == std::string_view::npos) end = path.size();
        const auto seg = path.substr(start, end - start);
        if (!seg.empty()) {
            read_segment(seg, parent, out);
            parent = seg;
        }
        start = end + 1;
    }
    return out;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
    return s;
}

std::vector<std::string_view> fields(std::string_view line) {
    std::vector<std::string_view> out;
    std::size_t i = 0;
    while (i < line.size()) {
        while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
        const auto start = i;
        while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
        if (i > start) out.push_back(line.substr(start, i - start));
    }
    return out;
}

template <typename F>
void for_each_line(std::string_view text, F&& f) {
    std::size_t start = 0;
    while (start < text.size()) {
        auto end = text.find('\n', start);
        if (end == std::string_view::npos) end = text.size();
        if (!f(text.substr(start, end - start))) return;
        start = end + 1;
    }
}

}  // namespace

CgroupIdentity parse_cgroup_identity(std::string_view text) {
    CgroupIdentity v2, v1;
    for_each_line(text, [&](std::string_view line) {
        // "hierarchy-id:controllers:path"; the path itself may hold ':'.
        const auto a = line.find(':');
        const auto b = a == std::string_view::npos ? a : line.find(':', a + 1);
        if (b == std::string_view::npos) return true;
        const auto id = identity_of_path(line.substr(b + 1));
        CgroupIdentity& into = line.substr(0, a) == "0" ? v2 : v1;
        if (into.container_id.empty() && !id.container_id.empty()) {
            into.container_id = id.container_id;
            into.runtime = id.runtime;
        }
        if (into.pod_uid.empty()) into.pod_uid = id.pod_uid;
        return true;
    });
    if (v2.container_id.empty()) {
        v2.container_id = v1.container_id;
        v2.runtime = v1.runtime;
    }
    if (v2.pod_uid.empty()) v2.pod_uid = v1.pod_uid;
    return v2;
}

std::optional<PodRef> parse_pod_log_dir(std::string_view dir_name) {
    const auto a = dir_name.find('_');
    const auto b = a == std::string_view::npos ? a : dir_name.find('_', a + 1);
    if (b == std::string_view::npos || a == 0 || b == a + 1) return std::nullopt;
    const auto uid = dir_name.substr(b + 1);
    if (!is_uid(uid) || uid.find('_') != std::string_view::npos) return std::nullopt;
    return PodRef{std::string(dir_name.substr(0, a)), std::string(dir_name.substr(a + 1, b - a - 1)), std::string(uid)};
}

std::optional<ContainerLogRef> parse_container_log_name(std::string_view name) {
    if (!name.ends_with(".log")) return std::nullopt;
    name.remove_suffix(4);
    constexpr std::size_t k_id = 64;
    if (name.size() < k_id + 2 || name[name.size() - k_id - 1] != '-') return std::nullopt;
    const auto id = name.substr(name.size() - k_id);
    for (char c : id)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return std::nullopt;
    const auto rest = name.substr(0, name.size() - k_id - 1);
    const auto a = rest.find('_');
    const auto b = a == std::string_view::npos ? a : rest.find('_', a + 1);
    if (b == std::string_view::npos || a == 0 || b == a + 1 || b + 1 == rest.size() ||
        rest.find('_', b + 1) != std::string_view::npos)
        return std::nullopt;
    return ContainerLogRef{std::string(rest.substr(0, a)), std::string(rest.substr(a + 1, b - a - 1)),
                           std::string(rest.substr(b + 1)), std::string(id)};
}

std::string parse_kubelet_etc_hosts(std::string_view etc_hosts) {
    std::string out;
    bool first = true;
    for_each_line(etc_hosts, [&](std::string_view raw) {
        const auto line = trim(raw);
        // The kubelet's first line says which kind of file it wrote (pkg/kubelet/kubelet_pods.go).
        if (first) {
            first = false;
            if (line.starts_with("# Kubernetes-managed hosts file (host network)")) return false;
        }
        if (line.starts_with("# Entries added by HostAliases")) return false;
        if (line.empty() || line.front() == '#') return true;
        const auto f = fields(line);
        if (f.size() < 2) return true;
        const bool special = std::any_of(f.begin() + 1, f.end(), [](std::string_view n) {
            return n == "localhost" || n.starts_with("ip6-") || n == "localhost.localdomain";
        });
        if (special || f[0] == "127.0.0.1" || f[0] == "::1") return true;
        out = f.back();
        return false;
    });
    return out;
}

std::string container_label(const NetnsIdentity& id, std::string_view host_hostname) {
    if (!id.pod_uid.empty()) {
        std::string_view name = id.pod;
        if (const auto slash = name.find('/'); slash != std::string_view::npos) name = name.substr(slash + 1);
        if (name.empty()) name = id.hostname;
        if (name.empty()) name = id.pod_uid;
        return "pod:" + std::string(name);
    }
    if (!id.container_id.empty()) {
        if (!id.hostname.empty() && id.hostname != host_hostname) return "container:" + id.hostname;
        return "container:" + id.container_id.substr(0, 12);
    }
    return {};
}

namespace {
std::string_view pod_name_part(const NetnsIdentity& id) {
    const auto slash = id.pod.find('/');
    return std::string_view(id.pod).substr(slash == std::string::npos ? 0 : slash + 1);
}

std::map<std::string, int> label_uses(const std::vector<LabelledNetns>& namespaces) {
    std::map<std::string, int> uses;
    for (const auto& n : namespaces) ++uses[n.label];
    return uses;
}
}  // namespace

bool pod_matches(const NetnsIdentity& id, std::string_view name) {
    if (name.empty()) return false;
    if (!id.pod.empty()) {
        if (id.pod == name || pod_name_part(id) == name) return true;
        // "name/UIDPREFIX": at least 8 digits of the UID, as make_labels_unique writes them.
        const auto slash = name.rfind('/');
        if (slash == std::string_view::npos || id.pod_uid.empty()) return false;
        const auto uid = name.substr(slash + 1);
        return name.substr(0, slash) == pod_name_part(id) && uid.size() >= 8 && id.pod_uid.starts_with(uid);
    }
    return id.hostname == name;
}

void make_labels_unique(std::vector<LabelledNetns>& namespaces) {
    auto uses = label_uses(namespaces);
    for (auto& n : namespaces) {
        if (uses[n.label] < 2 || !n.identity) continue;
        const auto& id = *n.identity;
        if (n.label.starts_with("pod:") && id.pod.find('/') != std::string::npos)
            n.label = "pod:" + id.pod;
        else if (n.label.starts_with("pod:") && !id.pod_uid.empty())
            n.label += "/" + id.pod_uid.substr(0, 8);
        else if (n.label.starts_with("container:") && !id.container_id.empty() &&
                 n.label != "container:" + id.container_id.substr(0, 12))
            n.label = "container:" + id.container_id.substr(0, 12);
    }
    uses = label_uses(namespaces);
    for (auto& n : namespaces)
        if (uses[n.label] > 1) n.label += "@" + std::to_string(n.inode);
}

bool container_matches(const NetnsIdentity& id, std::string_view prefix) {
    if (prefix.empty()) return false;
    return std::any_of(id.container_ids.begin(), id.container_ids.end(),
                       [&](const std::string& c) { return c.starts_with(prefix); }) ||
           (!id.container_id.empty() && id.container_id.starts_with(prefix));
}

}  // namespace kt
