// How `audit` looks: per configuration, what each proxy object ends up with, then the findings
// with their fixes; or one JSON document (schema keepalive-tune.audit.v1).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/audit/audit.hpp"
#include "core/audit/audit_live.hpp"

namespace kt::render {

// `live`: for reports of a running process (--pid, --comm), its live section at the same index;
// nullptr or absent for a file.
using LiveSections = std::vector<const LiveAudit*>;

std::string audit_text(const std::vector<AuditReport>& reports, Severity fail_on, const LiveSections& live = {});

// {"schema": "keepalive-tune.audit.v1", "fail_on", "worst_severity", "counts": {severity: n},
//  "configs": [{"file", "type", "files", "netns", "objects": [...], "findings": [...],
//  "process": {...} (only for --pid/--comm, see audit_live_view.hpp)}]}
nlohmann::json audit_json(const std::vector<AuditReport>& reports, const NetworkPath& path, Severity fail_on,
                          const LiveSections& live = {});

}  // namespace kt::render
