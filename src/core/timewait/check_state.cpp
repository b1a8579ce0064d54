#include "core/timewait/check_state.hpp"

#include <nlohmann/json.hpp>

#include "core/text/json_document.hpp"

namespace kt {

namespace {
constexpr std::string_view k_state_schema = "keepalive-tune.check-state.v1";
}

Result<CheckState> parse_check_state(std::string_view text, std::string_view source) {
    auto doc = parse_json_document(text, source);
    if (!doc) return std::unexpected(doc.error());
    const std::string src(source);
    try {
        if (!doc->is_object() || doc->value("schema", "") != k_state_schema)
            return fail(src, "not a keepalive-tune check state file (schema " + std::string(k_state_schema) + ")");
        CheckState s;
        s.boot_id = doc->at("boot_id").get<std::string>();
        // Typed before converting: nlohmann casts a float such as 1.7e40 to an integer without
        // a range check (undefined behaviour, found by the fuzzer).
        const auto& time = doc->at("time_ms");
        if (!time.is_number_integer()) return fail(src, "malformed state: time_ms is not an integer");
        s.time_ms = time.get<std::int64_t>();
        for (const auto& [label, counters] : doc->at("netns").items())
            for (const auto& [name, value] : counters.items()) {
                if (!value.is_number_unsigned())
                    return fail(src, "malformed state: counter " + name + " of netns " + label + " is not a whole number");
                s.netns[label][name] = value.get<std::uint64_t>();
            }
        return s;
    } catch (const nlohmann::json::exception& e) {
        return fail(src, std::string("malformed state: ") + e.what());
    }
}

std::string check_state_text(const CheckState& s) {
    nlohmann::json netns = nlohmann::json::object();
    for (const auto& [label, counters] : s.netns) {
        auto& c = netns[label] = nlohmann::json::object();
        for (const auto& [name, value] : counters) c[name] = value;
    }
    return nlohmann::json{{"schema", k_state_schema}, {"boot_id", s.boot_id}, {"time_ms", s.time_ms}, {"netns", netns}}.dump(2) +
           "\n";
}

std::optional<IntervalDelta> interval_delta(const CheckState* previous, const CheckState& now, std::string_view netns,
                                            std::string& baseline) {
    if (!previous) {
        baseline = "first run";
        return std::nullopt;
    }
    if (previous->boot_id != now.boot_id) {
        baseline = "rebooted since the last run";
        return std::nullopt;
    }
    if (now.time_ms <= previous->time_ms) {
        baseline = "the clock went back since the last run";
        return std::nullopt;
    }
    const auto before = previous->netns.find(netns);
    const auto after = now.netns.find(netns);
    if (before == previous->netns.end() || after == now.netns.end()) {
        baseline = "netns not seen in the last run";
        return std::nullopt;
    }
    IntervalDelta d;
    d.seconds = static_cast<double>(now.time_ms - previous->time_ms) / 1000.0;
    for (const auto& [name, value] : after->second) {
        const auto old = before->second.find(name);
        if (old == before->second.end()) continue;
        if (value < old->second) {
            baseline = "counter " + name + " went backwards (netns recreated or counters reset)";
            return std::nullopt;
        }
        d.counters[name] = value - old->second;
    }
    return d;
}

}  // namespace kt
