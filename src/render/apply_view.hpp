// Plans and results of apply and verify, as a table and as JSON.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/apply_plan.hpp"
#include "core/error.hpp"

namespace kt::render {

enum class SocketOutcome { planned, compliant, changed, failed, rolled_back, gone, drift, restored };
const char* outcome_name(SocketOutcome o);

struct SocketReport {
    PlanItem item;
    SocketOutcome outcome = SocketOutcome::planned;
    std::optional<Error> error;
    std::vector<std::string> notes;  // verify: timer findings
};

std::string socket_reports_text(const std::vector<SocketReport>& reports);
nlohmann::json socket_report_json(const SocketReport& r);
nlohmann::json options_json(const SocketOptions& o);

}  // namespace kt::render
