// The `check` verdict as a Nagios plugin line, JSON, and Prometheus text exposition.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "core/timewait/check_policy.hpp"

namespace kt::render {

// "KEEPALIVE-TUNE WARNING - <findings or summary> | <perfdata>\n" (Nagios plugin guidelines:
// one line, '|' only before the perfdata, perfdata as 'label'=value[uom];warn;crit;min;max).
std::string check_nagios(const CheckResult& r);
// The line for a check that could not run: "KEEPALIVE-TUNE UNKNOWN - <why>\n".
std::string check_nagios_unknown(const std::string& why);

// `baselines` has one entry per report: why there is no delta, or empty.
nlohmann::json check_json(const CheckResult& r, const CheckInput& in, const CheckThresholds& t,
                          const std::vector<std::string>& baselines);
nlohmann::json check_json_unknown(const std::string& why);

// The timewait series plus keepalive_tune_check_status (the exit code), deltas, compliance and
// the connection ends counted. `now` is unix seconds.
std::string check_prometheus(const CheckResult& r, const CheckInput& in, std::int64_t now);
std::string check_prometheus_unknown(std::int64_t now);
// keepalive_tune_connection_ends_total{netns,reason} (every reason of each namespace) and
// keepalive_tune_connection_ends_by_destination_total{netns,reason,destination} (the top ones).
std::string end_counts_prometheus(const EndCountsReport& r);

}  // namespace kt::render
