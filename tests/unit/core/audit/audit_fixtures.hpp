// The audit's configuration fixtures in tests/data/audit, which e2e tests also hand to nginx -t
// and haproxy -c, and run through the built binary.
#pragma once

#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "core/audit/audit.hpp"
#include "core/profile/catalogue.hpp"

namespace kt::test {

// A --path list (catalogue ids, NAME=DURATION), as the audit is given it.
inline NetworkPath audit_path(std::string_view ids) {
    auto p = parse_path_list(ids, "--path", middlebox_catalogue());
    EXPECT_TRUE(p.has_value());
    return p ? *p : NetworkPath{};
}

inline std::string audit_fixture_path(const std::string& name) {
    return std::string(KT_SOURCE_DIR) + "/tests/data/audit/" + name;
}

inline std::string read_audit_fixture(const std::string& name) {
    std::ifstream in(audit_fixture_path(name));
    EXPECT_TRUE(in.good()) << name;
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

// The findings of a fixture, audited in `c` (kernel-default netns values unless it says).
inline AuditReport audit_fixture_in(const std::string& name, const AuditContext& c) {
    const auto text = read_audit_fixture(name);
    if (name.starts_with("envoy/")) {
        auto config = parse_envoy_config(text, name);
        EXPECT_TRUE(config.has_value()) << (config ? "" : config.error().line());
        return config ? audit_envoy(*config, c) : AuditReport{};
    }
    if (name.starts_with("kubernetes/")) {
        auto config = parse_kubernetes_config(text, name);
        EXPECT_TRUE(config.has_value()) << (config ? "" : config.error().line());
        return config ? audit_kubernetes(*config, c) : AuditReport{};
    }
    if (name.starts_with("haproxy/")) {
        auto config = parse_haproxy_config(text, name);
        EXPECT_TRUE(config.has_value()) << (config ? "" : config.error().line());
        return config ? audit_haproxy(*config, name, c) : AuditReport{};
    }
    auto config = parse_nginx_config(text, name, nullptr);
    EXPECT_TRUE(config.has_value()) << (config ? "" : config.error().line());
    return config ? audit_nginx(*config, c) : AuditReport{};
}

// The findings of a fixture, audited with kernel-default netns values and `path`.
inline AuditReport audit_fixture(const std::string& name, const NetworkPath& path = {}) {
    AuditContext c;
    c.path = path;
    return audit_fixture_in(name, c);
}

// "A5@7" for each finding of `rule` (its line), in order.
inline std::vector<std::string> rule_lines(const AuditReport& r, const std::string& rule) {
    std::vector<std::string> out;
    for (const auto& f : r.findings)
        if (f.rule == rule) out.push_back(rule + "@" + std::to_string(f.at.line));
    return out;
}

inline std::vector<std::string> all_rules(const AuditReport& r) {
    std::vector<std::string> out;
    for (const auto& f : r.findings) out.push_back(f.rule + "@" + std::to_string(f.at.line));
    return out;
}

}  // namespace kt::test
