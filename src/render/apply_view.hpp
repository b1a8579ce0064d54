// Plans and results of apply and verify, as a table and as JSON.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/change/apply_plan.hpp"
#include "core/text/error.hpp"

namespace kt::render {

enum class SocketOutcome { planned, compliant, changed, failed, rolled_back, gone, drift, restored };
const char* outcome_name(SocketOutcome o);       // for tables: "changed", "FAILED", ...
const char* outcome_json_name(SocketOutcome o);  // for JSON "result": "changed", "failed", ...

struct SocketReport {
    PlanItem item;
    SocketOutcome outcome = SocketOutcome::planned;
    std::optional<Error> error;
    std::vector<std::string> notes;  // verify: timer findings
    bool before_read = true;         // false when the socket could not be read (gone): no "before"
    bool role_known = true;          // false for entries of undo files that did not record it
};

std::string socket_reports_text(const std::vector<SocketReport>& reports);
// `current_key` names item.before in the document: "before" where the command changes the
// socket (apply, undo), "current" where it only reads it (verify). item.after is "target".
nlohmann::json socket_report_json(const SocketReport& r, std::string_view current_key = "before");

}  // namespace kt::render
