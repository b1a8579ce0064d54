// libFuzzer target: the YAML adapter and the Envoy and Kubernetes configurations of `audit`,
// with every rule. The first byte chooses Envoy or Kubernetes and the Envoy release and path
// the audit assumes; the rest is the file.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/audit/audit.hpp"
#include "core/config/declared_listeners.hpp"
#include "core/config/yaml_values.hpp"

namespace {

void walk(const kt::YamlNode& n) {
    (void)kt::yaml_integer(n);
    (void)kt::yaml_bool(n);
    (void)kt::yaml_duration_ns(n);
    for (const auto& item : n.items) walk(item);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
    const std::uint8_t mode = data[0];
    kt::AuditContext context;
    if (mode & 2) context.envoy_version = kt::EnvoyVersion{1, 36};
    if (mode & 4) context.path = {{"aws-alb", 60000, false}, {"aws-nlb-tcp", 350000, true}};
    if (mode & 8) context.backend_idle_ms = 5000;
    if (mode & 16) context.kubernetes_version = {1, 28};
    (void)kt::guess_config_type(text);
    if (mode & 1) {
        if (auto c = kt::parse_kubernetes_config(text, "fuzz.yaml")) (void)kt::audit_kubernetes(*c, context);
    } else {
        if (auto c = kt::parse_envoy_config(text, "fuzz.yaml")) {
            (void)kt::audit_envoy(*c, context);
            (void)kt::envoy_declared_listeners(*c, (mode & 64) != 0);
        }
    }
    if (mode & 32)
        if (auto docs = kt::parse_yaml_documents(text, "fuzz.yaml"))
            for (const auto& d : *docs) walk(d);
    return 0;
}
