// `health` as text, JSON (keepalive-tune.health.v1) and Prometheus series.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "core/health/health_report.hpp"

namespace kt::render {

std::string health_text(const HealthReport& r);
nlohmann::json health_json(const HealthReport& r);
// Connections by verdict per netns, per top-N destination plus "other", and accepted
// connections by state per top-N listening port plus "other" (bounded cardinality).
std::string health_prometheus(const HealthReport& r);

// One connection as JSON (shared with reap).
nlohmann::json connection_json(const JudgedConnection& c);
nlohmann::json counts_json(const VerdictCounts& c);

}  // namespace kt::render
