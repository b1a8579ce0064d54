// The timewait report as text, JSON, and Prometheus text exposition.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/timewait/timewait_report.hpp"

namespace kt::render {

enum class TimewaitGrouping { pair, peer, local_port };

std::string timewait_text(const TimewaitReport& r, TimewaitGrouping by);
nlohmann::json timewait_json(const TimewaitReport& r);
// Every report in one exposition: HELP and TYPE once per metric, names prefixed
// keepalive_tune_, destinations limited to the report's top N plus one "other" series.
std::string timewait_prometheus(const std::vector<TimewaitReport>& reports);

// A Prometheus label value with \, " and newline escaped.
std::string prometheus_label(std::string_view value);

}  // namespace kt::render
