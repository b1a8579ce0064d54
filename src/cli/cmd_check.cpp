// `keepalive-tune check`: a health check for cron, Nagios/Icinga and node_exporter's textfile
// collector. Speaks Nagios: exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (any error).
#include <chrono>
#include <memory>

#include "cli/command.hpp"
#include "cli/container_options.hpp"
#include "cli/number_option.hpp"
#include "cli/target_options.hpp"
#include "core/text/number_parse.hpp"
#include "core/timewait/check_state.hpp"
#include "engine/check_scan.hpp"
#include "engine/verify_sockets.hpp"
#include "render/check_view.hpp"
#include "sys/files.hpp"
#include "sys/output.hpp"
#include "sys/profile_store.hpp"

namespace kt::cli {

namespace {
enum class CheckFormat { nagios, json, prometheus };

struct CheckOptions {
    // Bound to the flags as typed and parsed in run, so a bad value is UNKNOWN in the chosen
    // --format like every other failure; used only when given.
    std::map<std::string, std::string, std::less<>> thresholds;
    const CLI::App* command = nullptr;
    std::string config;
    std::string format = "nagios";
    std::string output;
    std::string state_file;
    std::size_t top = 10;
    std::string netns;
    std::int32_t netns_of = 0;
    bool all_netns = false;
    std::string pod;
    std::string container;
    std::string profile;
    engine::TargetOptions target;
    engine::HealthOptions health;  // --path and --paths; the namespaces and --top are check's own
};

Result<CheckFormat> parse_format(const GlobalOptions& g, const CheckOptions& o) {
    // --json is the same as --format json; with any other --format the two conflict.
    const bool format_given = o.command->get_option("--format")->count() > 0;
    if (g.json && format_given && o.format != "json")
        return fail("--json and --format " + o.format, "give at most one of them");
    if (g.json || o.format == "json") return CheckFormat::json;
    if (o.format == "nagios") return CheckFormat::nagios;
    if (o.format == "prometheus") return CheckFormat::prometheus;
    return fail("--format " + o.format, "must be nagios, json or prometheus");
}

// Defaults, then the config file, then the flags that were given.
std::expected<CheckThresholds, Errors> thresholds(const CheckOptions& o) {
    CheckThresholds t;
    if (!o.config.empty()) {
        auto text = sys::read_text_file(o.config, 1 << 16);
        if (!text) return std::unexpected(Errors{text.error()});
        auto parsed = parse_check_config(*text, o.config, t);
        if (!parsed) return std::unexpected(parsed.error());
        t = *parsed;
    }
    Errors problems;
    for (const auto& [name, text] : o.thresholds) {
        if (o.command->get_option("--" + name)->count() == 0) continue;
        // Counts of sockets and connections are whole numbers; the others percentages.
        Result<double> value = parse_decimal(text, 0, 100);
        if (threshold_is_count(name)) {
            auto count = parse_whole_number(text, 0, k_max_timewait_threshold);
            value = count ? Result<double>(static_cast<double>(*count)) : std::unexpected(count.error());
        }
        if (value)
            set_threshold(t, name, *value);
        else
            problems.push_back(Error{"--" + name, value.error().why});
    }
    // A value already refused is not judged again against its partner.
    if (!problems.empty()) return std::unexpected(problems);
    for (auto& e : validate_thresholds(t)) problems.push_back({"--" + e.what, e.why});
    if (!problems.empty()) return std::unexpected(problems);
    return t;
}

std::int64_t unix_now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// Reads the previous state (a damaged file only restarts the baseline), computes the deltas
// and writes the new state before anything is reported.
Result<std::vector<std::string>> update_state(const std::string& path, const std::vector<TimewaitReport>& reports,
                                              std::int64_t now_ms, std::vector<std::optional<IntervalDelta>>& deltas) {
    CheckState current;
    current.time_ms = now_ms;
    if (auto id = sys::read_text_file("/proc/sys/kernel/random/boot_id", 128)) {
        current.boot_id = *id;
        while (!current.boot_id.empty() && current.boot_id.back() == '\n') current.boot_id.pop_back();
    }
    for (const auto& r : reports) current.netns[r.netns] = CounterMap(r.totals.counters.begin(), r.totals.counters.end());

    std::optional<CheckState> previous;
    if (sys::is_regular_file(path)) {
        auto text = sys::read_text_file(path, 1 << 20);
        if (!text) return std::unexpected(text.error());
        auto parsed = parse_check_state(*text, path);
        if (parsed)
            previous = std::move(*parsed);
        else
            write_warning(parsed.error().line() + "; starting a new baseline");
    }
    std::vector<std::string> baselines;
    for (const auto& r : reports) {
        std::string why;
        deltas.push_back(interval_delta(previous ? &*previous : nullptr, current, r.netns, why));
        baselines.push_back(deltas.back() ? std::string() : why);
    }
    if (auto w = sys::write_file_atomically(path, check_state_text(current), 0600); !w) return std::unexpected(w.error());
    return baselines;
}

Result<void> emit(const CheckOptions& o, const std::string& text) {
    if (!o.output.empty()) return sys::write_file_atomically(o.output, text, 0644);
    write_out(text);
    return {};
}

std::expected<int, Errors> run_check_or_fail(const GlobalOptions& g, const CheckOptions& o, CheckFormat format) {
    auto t = thresholds(o);
    if (!t) return std::unexpected(t.error());
    std::optional<Profile> profile;
    if (!o.profile.empty()) {
        if (!o.target.any_process())
            return std::unexpected(Errors{{"--profile " + o.profile, "give a target too: --pid PID, --comm NAME or --cgroup PATH"}});
        auto p = sys::load_profile(o.profile, sys::default_profile_dirs(g.profile_dirs));
        if (!p) return std::unexpected(p.error());
        profile = std::move(*p);
    } else if (o.target.any_process()) {
        return std::unexpected(Errors{{"target", "--pid, --comm and --cgroup need --profile P to check against"}});
    }

    // Connection health in the same namespaces: counts only (no owners, nothing kept).
    engine::HealthOptions health = o.health;
    health.profile_dirs = g.profile_dirs;
    health.netns = o.netns;
    health.netns_of = o.netns_of;
    health.all_netns = o.all_netns;
    health.pod = o.pod;
    health.container = o.container;
    health.top = o.top;
    auto scan = engine::scan_for_check(health);
    if (!scan) return std::unexpected(scan.error());
    Errors& warnings = scan->warnings;
    CheckInput& in = scan->input;
    if (profile) {
        auto v = engine::verify_sockets(o.target, *profile);
        if (!v) return std::unexpected(v.error());
        in.compliance = Compliance{profile->name, v->compliant, v->drift, v->gone, v->engine};
    }
    const auto now_ms = unix_now_ms();
    std::vector<std::string> baselines(in.reports.size());
    if (!o.state_file.empty()) {
        auto b = update_state(o.state_file, in.reports, now_ms, in.deltas);
        if (!b) return std::unexpected(Errors{b.error()});
        baselines = std::move(*b);
    }

    const auto result = evaluate_check(in, *t);
    for (const auto& w : warnings) write_warning(w.line());
    std::string text;
    switch (format) {
        case CheckFormat::nagios: text = render::check_nagios(result); break;
        case CheckFormat::json:
            text = render::check_json(result, in, *t, baselines).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
            break;
        case CheckFormat::prometheus: text = render::check_prometheus(result, in, now_ms / 1000); break;
    }
    if (auto w = emit(o, text); !w) return std::unexpected(Errors{w.error()});
    return static_cast<int>(result.status);
}

// Every failure is UNKNOWN (3) in the chosen format, never exit 2 and never a crash.
CommandResult run_check(const GlobalOptions& g, const CheckOptions& o) {
    auto format = parse_format(g, o);
    Errors errors;
    if (format) {
        try {
            auto r = run_check_or_fail(g, o, *format);
            if (r) return *r;
            errors = r.error();
        } catch (const std::exception& e) {
            errors = {{"internal error", e.what()}};
        }
    } else {
        errors = {format.error()};
    }
    std::string why;
    for (const auto& e : errors) {
        write_error(e);
        why += (why.empty() ? "" : "; ") + e.line();
    }
    std::string text;
    switch (format.value_or(CheckFormat::nagios)) {
        case CheckFormat::nagios: text = render::check_nagios_unknown(why); break;
        case CheckFormat::json: text = render::check_json_unknown(why).dump(2) + "\n"; break;
        case CheckFormat::prometheus: text = render::check_prometheus_unknown(unix_now_ms() / 1000); break;
    }
    // A file that cannot be written still leaves Nagios a line to read.
    if (auto w = emit(o, text); !w) {
        if (why.find(w.error().line()) == std::string::npos) {
            write_error(w.error());
            why += "; " + w.error().line();
        }
        write_out(render::check_nagios_unknown(why));
    }
    return static_cast<int>(CheckStatus::unknown);
}
}  // namespace

void setup_check(CLI::App& cmd, const GlobalOptions& global, Dispatch& dispatch) {
    auto o = std::make_shared<CheckOptions>();
    o->command = &cmd;
    const char* help[] = {"WARNING above this many TIME_WAIT sockets in one netns (default: off)",
                          "CRITICAL above this many TIME_WAIT sockets in one netns (default: off)",
                          "WARNING above this percent of the local port range in use toward one destination (default 50)",
                          "CRITICAL above this percent of the local port range in use toward one destination (default 80)",
                          "WARNING above this percent of net.ipv4.tcp_max_tw_buckets (default 50)",
                          "CRITICAL above this percent of net.ipv4.tcp_max_tw_buckets (default 80)",
                          "WARNING above this many connections likely dropped by a middlebox in one netns (default: off)",
                          "CRITICAL above this many connections likely dropped by a middlebox in one netns (default: off)",
                          "WARNING above this many connections closed by the peer and still held (default: off)",
                          "CRITICAL above this many connections closed by the peer and still held (default: off)",
                          "WARNING above this many connections retransmitting to a silent peer (default: off)",
                          "CRITICAL above this many connections retransmitting to a silent peer (default: off)"};
    std::size_t i = 0;
    for (auto name : k_threshold_names) {
        auto& slot = o->thresholds[std::string(name)];
        cmd.add_option("--" + std::string(name), slot, help[i++])->type_name(threshold_is_count(name) ? "N" : "PCT");
    }
    cmd.add_option("--config", o->config, "read thresholds from a JSON file with the same names as the flags; flags win");
    cmd.add_option("--format", o->format, "nagios (default: one line and exit 0/1/2/3), json or prometheus");
    cmd.add_option("--output", o->output, "write the result to FILE atomically (for node_exporter's textfile collector)");
    cmd.add_option("--state-file", o->state_file, "keep counters here between runs and report their growth per interval");
    cmd.add_option("--top", o->top, "destinations and ports labelled in Prometheus output (1..1000); the rest are summed (default 10)")
        ->check(whole_number(1, k_max_top))
        ->type_name("N");
    cmd.add_option("--netns", o->netns, "the network namespace NAME (/run/netns) or PATH");
    as_pid(cmd.add_option("--netns-of", o->netns_of, "the network namespace of process PID"));
    cmd.add_flag("--all-netns", o->all_netns, "every network namespace on the host");
    add_container_options(cmd, o->pod, o->container);
    cmd.add_option("--profile", o->profile, "also check that the target's sockets carry this profile (drift: WARNING)");
    cmd.add_option("--path", o->health.path_lists,
                   "middleboxes every connection crosses, for the health verdicts (as `health --path`)");
    cmd.add_option("--paths", o->health.paths_file, "a JSON file mapping peer CIDRs to paths (as `health --paths`)");
    add_target_options(cmd, o->target);
    dispatch.on(&cmd, [&global, o] { return run_check(global, *o); });
}

}  // namespace kt::cli
