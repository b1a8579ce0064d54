// `keepalive-tune health`: a verdict per connection against the path it crosses, roll-ups per
// owner and destination, and what to change. Exit 0 when nothing is dropped, retransmitting
// or peer-closed, 1 otherwise, 2 on bad input.
#include <memory>

#include "cli/command.hpp"
#include "cli/health_options.hpp"
#include "render/health_view.hpp"
#include "sys/output.hpp"

namespace kt::cli {

namespace {
struct HealthCommandOptions {
    engine::HealthOptions health;
    bool prometheus = false;
};

CommandResult run_health(const GlobalOptions& g, HealthCommandOptions& o) {
    if (g.json && o.prometheus) return std::unexpected(Errors{{"--json and --prometheus", "give at most one of them"}});
    o.health.profile_dirs = g.profile_dirs;
    engine::HealthRequest request{&o.health};
    request.count_ports = o.prometheus;  // keepalive_tune_port_connections
    auto scan = engine::scan_health(request);
    if (!scan) return std::unexpected(scan.error());
    const auto& r = scan->report;
    if (g.json) {
        auto doc = render::health_json(r);
        nlohmann::json warnings = nlohmann::json::array();
        for (const auto& w : scan->warnings) warnings.push_back(w.line());
        doc["warnings"] = warnings;
        doc["engine"] = scan->engine;
        write_json(doc);
    } else if (o.prometheus) {
        write_out(render::health_prometheus(r));
    } else {
        write_out(render::health_text(r));
    }
    if (!g.json)
        for (const auto& w : scan->warnings) write_warning(w.line());
    std::uint64_t failing = 0;
    for (const auto v : {HealthVerdict::likely_dropped, HealthVerdict::peer_closed, HealthVerdict::retransmitting})
        failing += r.rollup.totals()[v];
    return failing ? k_exit_negative : k_exit_ok;
}
}  // namespace

void setup_health(CLI::App& cmd, const GlobalOptions& global, Dispatch& dispatch) {
    auto o = std::make_shared<HealthCommandOptions>();
    add_health_options(cmd, o->health, true);
    cmd.add_flag("--prometheus", o->prometheus, "print Prometheus text exposition");
    dispatch.on(&cmd, [&global, o] { return run_health(global, *o); });
}

}  // namespace kt::cli
