// The agent's policy file (schema keepalive-tune.policy.v1): which profile goes on which
// cgroups, as rules matched against cgroup paths, systemd units and Kubernetes pods. YAML (and
// so JSON); every error names file:line:column.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/config/config_source.hpp"
#include "core/text/error.hpp"

namespace kt {

inline constexpr const char* k_policy_schema = "keepalive-tune.policy.v1";

// A glob as the policy writes it: `*` any run of characters but '/', `**` any run at all,
// `?` one character but '/', `[abc]`, `[a-z]`, `[!abc]` one of a set. Nothing else is special.
// An error for an unclosed '['.
Result<void> check_glob(std::string_view pattern);
bool glob_matches(std::string_view pattern, std::string_view text);

struct PolicyMatch {
    std::string cgroup;     // glob on the path below the cgroup2 root ("system.slice/nginx.service")
    std::string unit;       // glob on the last directory of the path ("nginx.service")
    std::string pod;        // glob on "namespace/name"
    std::string container;  // glob on the container's name within its pod
    bool empty() const { return cgroup.empty() && unit.empty() && pod.empty() && container.empty(); }
};

struct PolicyRule {
    std::string name;
    std::string profile;        // a name on the profile search path, or a path to a .json file
    SourcePosition profile_at;  // where `profile` is written, for errors about the profile itself
    PolicyMatch match;
    std::uint8_t roles = 0x7;   // role_bit() of listener, accepted, upstream
    bool existing = true;       // also apply to the connections open when the cgroup starts matching
    bool override_app = false;  // replace the values an application sets itself
    SourcePosition at;
};

struct AgentPolicy {
    std::vector<PolicyRule> rules;
    std::string metrics_listen;             // ADDR:PORT, empty when the file does not say
    std::uint64_t health_every_ms = 30000;  // how often the health series are computed
    std::string health_paths;               // as health --paths; empty: none
    bool connection_ends = false;           // install the connection-end counters (trace --install-counters)
    std::string file;
};

// The policy in `text`, read from `file`. Errors: "file:line:column" and why (unknown key with
// the nearest known one, a rule with no match key, a bad glob, duplicate rule names, ...).
Result<AgentPolicy> parse_agent_policy(std::string_view text, std::string_view file);

// What a cgroup is, as the rules see it: its path below the cgroup2 root and, under a
// kubepods hierarchy, its pod ("namespace/name") and container name where known.
struct CgroupFacts {
    std::string path;      // "kubepods.slice/kubepods-besteffort.slice/...", no leading '/'
    std::string pod;       // "namespace/name", empty when not a pod's or unknown
    std::string container; // the container's name, empty when not a container's or unknown
};
// Whether every key the rule gives matches.
bool rule_matches(const PolicyRule& rule, const CgroupFacts& cgroup);

}  // namespace kt
