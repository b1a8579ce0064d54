// How `audit` looks: per configuration, what each proxy object ends up with, then the findings
// with their fixes; or one JSON document (schema keepalive-tune.audit.v1).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/audit.hpp"

namespace kt::render {

std::string audit_text(const std::vector<AuditReport>& reports, Severity fail_on);

// {"schema": "keepalive-tune.audit.v1", "fail_on", "worst_severity", "counts": {severity: n},
//  "configs": [{"file", "type", "files", "netns", "objects": [...], "findings": [...]}]}
nlohmann::json audit_json(const std::vector<AuditReport>& reports, const NetworkPath& path, Severity fail_on);

}  // namespace kt::render
