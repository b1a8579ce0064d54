#include "core/config/kubernetes_config.hpp"

namespace kt {

namespace {

std::string text_of(const YamlNode* n) {
    return n && n->is_scalar() ? n->scalar : std::string();
}

struct Collector {
    std::string file;
    KubernetesConfig& config;

    Result<void> object(const YamlNode& n) {
        if (!n.is_mapping()) return {};
        const auto kind = text_of(n.get("kind"));
        const auto api = text_of(n.get("apiVersion"));
        if (kind.empty() || api.empty()) {
            config.helm_values.push_back(&n);
            return mesh_values(n);
        }
        if (kind.ends_with("List")) {
            if (const auto* items = n.get("items"); items && items->is_sequence())
                for (const auto& item : items->items)
                    if (auto r = object(item); !r) return r;
            return {};
        }
        KubernetesObject o;
        o.api_version = api;
        o.kind = kind;
        o.name = text_of(n.path({"metadata", "name"}));
        o.namespace_name = text_of(n.path({"metadata", "namespace"}));
        o.node = &n;
        if (kind == "IstioOperator") o.mesh_config = n.path({"spec", "meshConfig"});
        if (kind == "ConfigMap")
            if (const auto* mesh = n.path({"data", "mesh"}); mesh && mesh->is_scalar()) {
                // A block scalar's text starts on the line after its indicator (`mesh: |`); a
                // string of several lines is one in practice. Columns stay the string's own.
                const bool block = mesh->scalar.find('\n') != std::string::npos;
                auto docs = parse_embedded_yaml(mesh->scalar, file, mesh->at.line + (block ? 1 : 0));
                if (!docs) return std::unexpected(docs.error());
                for (auto& d : *docs)
                    if (d.is_mapping()) {
                        config.documents.push_back(std::move(d));
                        o.mesh_config = &config.documents.back();
                        break;
                    }
            }
        config.objects.push_back(std::move(o));
        return {};
    }

    // Helm values of istiod (meshConfig:) carry a MeshConfig too.
    Result<void> mesh_values(const YamlNode& n) {
        if (const auto* mesh = n.get("meshConfig"); mesh && mesh->is_mapping()) {
            KubernetesObject o;
            o.kind = "Helm values";
            o.name = "meshConfig";
            o.node = &n;
            o.mesh_config = mesh;
            config.objects.push_back(std::move(o));
        }
        return {};
    }
};

}  // namespace

Result<KubernetesConfig> parse_kubernetes_config(std::string_view text, std::string_view file) {
    auto docs = parse_yaml_documents(text, file);
    if (!docs) return std::unexpected(docs.error());
    KubernetesConfig c;
    c.files.emplace_back(file);
    for (auto& d : *docs) c.documents.push_back(std::move(d));
    Collector collector{std::string(file), c};
    const auto count = c.documents.size();
    for (std::size_t i = 0; i < count; ++i)
        if (auto r = collector.object(c.documents[i]); !r) return std::unexpected(r.error());
    if (c.objects.empty() && c.helm_values.empty())
        return fail(std::string(file), "no Kubernetes object in it (each document needs apiVersion and kind)");
    return c;
}

}  // namespace kt
