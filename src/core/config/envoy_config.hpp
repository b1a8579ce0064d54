// Envoy's listeners and clusters, found in whatever form the file has: a bootstrap
// (static_resources), LDS/CDS documents (listeners:, clusters:), xDS responses (resources with
// @type), or the admin config_dump (configs[] of ListenersConfigDump and ClustersConfigDump).
// YAML or JSON; the values themselves are read by the audit.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/config/yaml_tree.hpp"
#include "core/text/error.hpp"

namespace kt {

struct EnvoyConfig {
    std::vector<std::string> files;
    std::vector<YamlNode> documents;
    std::vector<const YamlNode*> listeners;  // into `documents`
    std::vector<const YamlNode*> clusters;

    EnvoyConfig() = default;
    EnvoyConfig(EnvoyConfig&&) = default;  // a vector's move keeps its elements where they are
    EnvoyConfig& operator=(EnvoyConfig&&) = default;
    EnvoyConfig(const EnvoyConfig&) = delete;
    EnvoyConfig& operator=(const EnvoyConfig&) = delete;
};

// An error (file:line:column) for YAML syntax, and when no listener or cluster is found.
Result<EnvoyConfig> parse_envoy_config(std::string_view text, std::string_view file);

}  // namespace kt
