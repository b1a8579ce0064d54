// Pod sysctls in Kubernetes objects (PROXY-CONFIGS.md §5.2, rule A22).
#include "core/audit/audit.hpp"

namespace kt::audit_detail {

namespace {

constexpr KubernetesVersion k_safe_since{1, 29};

// The pod spec of a workload, or nullptr.
const YamlNode* pod_spec(const KubernetesObject& o) {
    if (o.kind == "Pod") return o.node->get("spec");
    if (o.kind == "Deployment" || o.kind == "StatefulSet" || o.kind == "DaemonSet" || o.kind == "ReplicaSet" ||
        o.kind == "Job" || o.kind == "ReplicationController")
        return o.node->path({"spec", "template", "spec"});
    if (o.kind == "CronJob") return o.node->path({"spec", "jobTemplate", "spec", "template", "spec"});
    return nullptr;
}

std::string text_of(const YamlNode* n) {
    return n && n->is_scalar() ? n->scalar : std::string();
}

// The namespace's Pod Security Admission version when it enforces baseline or restricted, as
// written ("v1.28"), or "" when the namespace is not in the input or enforces nothing below latest.
struct PsaPin {
    std::string version_text;
    KubernetesVersion version;
    SourcePosition at;
};

std::optional<PsaPin> psa_pin(const KubernetesConfig& config, const std::string& ns) {
    std::vector<const KubernetesObject*> namespaces;
    for (const auto& o : config.objects)
        if (o.kind == "Namespace") namespaces.push_back(&o);
    const KubernetesObject* match = nullptr;
    for (const auto* n : namespaces)
        if (n->name == ns) match = n;
    // A workload without metadata.namespace goes where it is applied; with one Namespace in the
    // same file, that is the one.
    if (!match && ns.empty() && namespaces.size() == 1) match = namespaces.front();
    if (!match) return std::nullopt;
    const auto* labels = match->node->path({"metadata", "labels"});
    if (!labels) return std::nullopt;
    const auto level = text_of(labels->get("pod-security.kubernetes.io/enforce"));
    if (level != "baseline" && level != "restricted") return std::nullopt;
    const auto* pinned = labels->get("pod-security.kubernetes.io/enforce-version");
    if (!pinned || text_of(pinned) == "latest") return std::nullopt;
    auto v = parse_kubernetes_version(text_of(pinned), "enforce-version");
    if (!v) return std::nullopt;
    return PsaPin{text_of(pinned), *v, pinned->at};
}

}  // namespace

void audit_pod_sysctls(const KubernetesConfig& config, const AuditContext& context, AuditReport& report) {
    const auto& assumed = context.kubernetes_version;
    const std::string assumed_text = "Kubernetes " + kubernetes_version_text(assumed) +
                                     (context.kubernetes_version_given ? " (--kubernetes-version)"
                                                                       : " (the default of --kubernetes-version)");
    for (const auto& o : config.objects) {
        const auto* spec = pod_spec(o);
        const auto* sysctls = spec ? spec->path({"securityContext", "sysctls"}) : nullptr;
        if (!sysctls || !sysctls->is_sequence()) continue;
        AuditedObject a;
        a.kind = "kubernetes " + o.kind;
        a.name = o.name;
        a.at = o.node->at;
        a.side = Side::both;
        a.tcp.source = "pod sysctls give values to sockets that turn SO_KEEPALIVE on";
        const auto pin = psa_pin(config, o.namespace_name);
        for (const auto& item : sysctls->items) {
            const auto name = text_of(item.get("name"));
            if (!name.starts_with("net.ipv4.tcp_keepalive_")) continue;
            a.settings.push_back({name, text_of(item.get("value"))});
            if (assumed < k_safe_since)
                report.findings.push_back(
                    {"A22", Severity::medium, item.at,
                     "pod sysctl " + name + " in " + o.kind + " " + o.name + " is safe only from Kubernetes 1.29; on " +
                         assumed_text +
                         " it is unsafe, so the pod is scheduled but fails to start unless the kubelet allows it",
                     "kubernetes",
                     "# each node's KubeletConfiguration, or upgrade the cluster to 1.29 or later\n"
                     "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nallowedUnsafeSysctls:\n"
                     "- net.ipv4.tcp_keepalive_*\n"});
            else if (pin && pin->version < k_safe_since && name != "net.ipv4.tcp_keepalive_time")
                report.findings.push_back(
                    {"A22", Severity::medium, item.at,
                     "pod sysctl " + name + " in " + o.kind + " " + o.name +
                         " is rejected by Pod Security Admission in a namespace pinned to enforce-version " +
                         pin->version_text + " (" + pin->at.file_line() + "): baseline allows it from v1.29",
                     "kubernetes",
                     "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: " +
                         (o.namespace_name.empty() ? std::string("NAMESPACE") : o.namespace_name) +
                         "\n  labels:\n    pod-security.kubernetes.io/enforce-version: v1.29\n"});
        }
        if (!a.settings.empty()) report.objects.push_back(std::move(a));
    }
}

}  // namespace kt::audit_detail
