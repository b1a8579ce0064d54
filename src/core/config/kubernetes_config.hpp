// Kubernetes objects in a multi-document YAML (or JSON) file: each document, the items of a
// `kind: List`, and Helm values files (documents without apiVersion and kind). An Istio
// ConfigMap's `mesh` key is YAML inside a string; it is parsed here too, with its lines counted
// in the file.
#pragma once

#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "core/config/yaml_tree.hpp"
#include "core/text/error.hpp"

namespace kt {

struct KubernetesObject {
    std::string api_version;
    std::string kind;
    std::string name;
    std::string namespace_name;  // "" when metadata.namespace is absent
    const YamlNode* node = nullptr;
    const YamlNode* mesh_config = nullptr;  // Istio MeshConfig: a ConfigMap's parsed `mesh`, an IstioOperator's meshConfig
};

struct KubernetesConfig {
    std::vector<std::string> files;
    std::deque<YamlNode> documents;  // a deque: nodes stay where they are as more are added
    std::vector<KubernetesObject> objects;
    std::vector<const YamlNode*> helm_values;

    KubernetesConfig() = default;
    KubernetesConfig(KubernetesConfig&&) = default;
    KubernetesConfig& operator=(KubernetesConfig&&) = default;
    KubernetesConfig(const KubernetesConfig&) = delete;
    KubernetesConfig& operator=(const KubernetesConfig&) = delete;
};

// An error (file:line:column) for YAML syntax, in the file or in an embedded mesh config, and
// when the file holds no object and no values.
Result<KubernetesConfig> parse_kubernetes_config(std::string_view text, std::string_view file);

}  // namespace kt
