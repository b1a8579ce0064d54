// `keepalive-tune timewait`: TIME_WAIT buildup by destination, with port-exhaustion risk.
#include <memory>

#include "cli/command.hpp"
#include "cli/container_options.hpp"
#include "cli/number_option.hpp"
#include "engine/timewait_reports.hpp"
#include "render/timewait_view.hpp"
#include "sys/output.hpp"

namespace kt::cli {

namespace {
struct TimewaitOptions {
    std::string by = "pair";
    std::size_t top = 10;
    std::string netns;
    std::int32_t netns_of = 0;
    bool all_netns = false;
    std::string pod;
    std::string container;
    bool prometheus = false;
};

CommandResult run_timewait(const GlobalOptions& g, const TimewaitOptions& o) {
    render::TimewaitGrouping by = render::TimewaitGrouping::pair;
    if (o.by == "peer")
        by = render::TimewaitGrouping::peer;
    else if (o.by == "local-port")
        by = render::TimewaitGrouping::local_port;
    else if (o.by != "pair")
        return std::unexpected(Errors{{"--by " + o.by, "must be pair, peer or local-port"}});
    if (g.json && o.prometheus) return std::unexpected(Errors{{"--json and --prometheus", "give at most one of them"}});
    Errors warnings;
    auto found = engine::timewait_reports({o.netns, o.netns_of, o.all_netns, o.pod, o.container}, o.top, by == render::TimewaitGrouping::peer, warnings);
    if (!found) return std::unexpected(found.error());
    const auto& reports = *found;
    if (o.prometheus) {
        write_out(render::timewait_prometheus(reports));
    } else if (g.json) {
        nlohmann::json list = nlohmann::json::array();
        for (const auto& r : reports) list.push_back(render::timewait_json(r));
        nlohmann::json w = nlohmann::json::array();
        for (const auto& e : warnings) w.push_back(e.line());
        write_json({{"schema", "keepalive-tune.timewait.v1"}, {"by", o.by}, {"netns", list}, {"warnings", w}});
    } else {
        for (std::size_t i = 0; i < reports.size(); ++i) write_out((i ? "\n" : "") + render::timewait_text(reports[i], by));
    }
    for (const auto& w : warnings) write_warning(w.line());
    return k_exit_ok;
}
}  // namespace

void setup_timewait(CLI::App& cmd, const GlobalOptions& global, Dispatch& dispatch) {
    auto o = std::make_shared<TimewaitOptions>();
    cmd.add_option("--by", o->by, "group client-side closes by pair (local ip -> peer ip:port), peer, or show only local-port (server side)");
    cmd.add_option("--top", o->top, "show the N largest groups (1..1000); the rest are summed (default 10)")
        ->check(whole_number(1, k_max_top))
        ->type_name("N");
    cmd.add_option("--netns", o->netns, "the network namespace NAME (/run/netns) or PATH");
    as_pid(cmd.add_option("--netns-of", o->netns_of, "the network namespace of process PID"));
    cmd.add_flag("--all-netns", o->all_netns, "every network namespace on the host");
    add_container_options(cmd, o->pod, o->container);
    cmd.add_flag("--prometheus", o->prometheus, "print Prometheus text exposition (for node_exporter's textfile collector)");
    dispatch.on(&cmd, [&global, o] { return run_timewait(global, *o); });
}

}  // namespace kt::cli
