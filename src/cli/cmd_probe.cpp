// `keepalive-tune probe HOST:PORT`: measure the real idle timeout of the path to a server with
// nothing but keepalive probes. Never more than N connections, never an application byte,
// everything closed on the way out (SIGINT and SIGTERM included).
#include <signal.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <memory>

#include "cli/command.hpp"
#include "cli/container_options.hpp"
#include "cli/number_option.hpp"
#include "core/health/probe.hpp"
#include "core/socket/ip_text.hpp"
#include "core/socket/json_shapes.hpp"
#include "core/text/duration.hpp"
#include "sys/files.hpp"
#include "sys/output.hpp"
#include "sys/probe_socket.hpp"
#include "sys/profile_store.hpp"

namespace kt::cli {

namespace {
struct ProbeOptions {
    std::string destination;
    std::string max = "15m";
    std::uint32_t connections = k_probe_connections_default;
    std::string from;
    std::string netns;
    std::int32_t netns_of = 0;
    std::string pod;
    std::string container;
};

using Clock = std::chrono::steady_clock;

struct Probing {
    sys::ProbeSocket socket;
    ProbeResult result;
    Clock::time_point start;
};

// Waits up to `ms` for SIGINT or SIGTERM (blocked by the caller); true when one came.
bool stop_requested(long ms) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    const timespec t{ms / 1000, (ms % 1000) * 1'000'000};
    return sigtimedwait(&set, nullptr, &t) > 0;
}

struct RoundOutcome {
    std::vector<ProbeResult> results;
    std::uint32_t skipped = 0;  // longer idles closed once a shorter one was forgotten
    bool interrupted = false;
};

// One round: a connection per idle, polled until each is decided; a connection is closed as
// soon as its fate is known.
std::expected<RoundOutcome, Errors> run_round(const sys::NetnsTarget& ns, const Endpoint& to, const std::optional<IpAddress>& from,
                                              const std::vector<std::uint32_t>& idles, int round, bool progress) {
    RoundOutcome out;
    std::vector<std::unique_ptr<Probing>> live;
    for (const auto idle : idles) {
        auto s = sys::ProbeSocket::open(ns, to, from, idle, std::chrono::milliseconds(3000));
        if (!s) {
            const int err = s.error().code;
            std::string why = s.error().why;
            if (err == ECONNREFUSED) why += ": nothing listens there, or a firewall refuses";
            if (err == ETIMEDOUT) why += ": the destination does not answer";
            return std::unexpected(Errors{{s.error().what, why}});
        }
        live.push_back(std::make_unique<Probing>(Probing{std::move(*s), {idle, ProbeFate::waiting, 0}, Clock::now()}));
    }
    const std::uint32_t longest = idles.empty() ? 0 : *std::max_element(idles.begin(), idles.end());
    // The longest idle, its probe's second to be answered, and the keepalive count after it.
    const auto give_up = Clock::now() + std::chrono::seconds(longest + 5);
    auto next_progress = Clock::now() + std::chrono::seconds(5);
    if (progress)
        write_progress("probe: round " + std::to_string(round) + ": " + std::to_string(idles.size()) +
                       " connection(s) waiting " + format_duration_s(idles.front()) + " to " + format_duration_s(longest) +
                       " before their first probe; this takes up to " + format_duration_s(longest + 5));
    std::size_t undecided = live.size();
    while (undecided > 0) {
        if (stop_requested(100)) {
            out.interrupted = true;
            break;
        }
        const auto now = Clock::now();
        for (auto& p : live) {
            if (!p || p->result.fate != ProbeFate::waiting) continue;
            const auto elapsed = static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(now - p->start).count());
            std::uint64_t at = 0;
            const auto fate = decide_probe(p->socket.sample(), elapsed, p->result.idle_s, at);
            if (fate == ProbeFate::waiting && now < give_up) continue;
            // Past every probe's chance without an answer: forgotten and silent.
            p->result.fate = fate == ProbeFate::waiting ? ProbeFate::silent : fate;
            p->result.at_ms = at;
            out.results.push_back(p->result);
            const bool forgotten = p->result.fate == ProbeFate::silent || p->result.fate == ProbeFate::reset;
            const std::uint32_t idle = p->result.idle_s;
            p.reset();  // closed now: its fate is known
            --undecided;
            // A flow forgotten after `idle` is forgotten after any longer one too: those
            // connections would only make the run longer.
            if (forgotten)
                for (auto& q : live)
                    if (q && q->result.fate == ProbeFate::waiting && q->result.idle_s > idle) {
                        q.reset();
                        --undecided;
                        ++out.skipped;
                    }
        }
        if (progress && now >= next_progress && undecided > 0) {
            next_progress = now + std::chrono::seconds(5);
            std::uint32_t survived = 0;
            for (const auto& r : out.results) survived += r.fate == ProbeFate::survived;
            write_progress("probe: round " + std::to_string(round) + ": " + std::to_string(idles.size() - undecided) + " of " +
                          std::to_string(idles.size()) + " decided (" + std::to_string(survived) + " survived), longest idle " +
                          format_duration_s(longest) + ", up to " +
                          format_duration_ms(static_cast<std::uint64_t>(
                              std::chrono::duration_cast<std::chrono::milliseconds>(give_up - now).count())) +
                          " left");
        }
    }
    return out;
}

nlohmann::json results_json(const std::vector<ProbeResult>& results) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& r : results)
        list.push_back({{"idle_seconds", r.idle_s}, {"fate", probe_fate_name(r.fate)}, {"decided_after_ms", r.at_ms}});
    return list;
}

CommandResult run_probe(const GlobalOptions& g, const ProbeOptions& o) {
    auto to = sys::resolve_destination(o.destination);
    if (!to) return std::unexpected(Errors{to.error()});
    auto max_ms = parse_duration_ms(o.max);
    if (!max_ms) return std::unexpected(Errors{{"--max", max_ms.error().why}});
    if (*max_ms < 2000 || *max_ms > 2 * 3600 * 1000)
        return std::unexpected(Errors{{"--max " + o.max, "must be 2s..2h (TCP_KEEPIDLE counts whole seconds)"}});
    const auto max_s = static_cast<std::uint32_t>(*max_ms / 1000);
    std::optional<IpAddress> from;
    if (!o.from.empty()) {
        from = parse_ip_address(o.from);
        if (!from) return std::unexpected(Errors{{"--from " + o.from, "not an IPv4 or IPv6 address"}});
        if (from->family != to->address.family)
            return std::unexpected(Errors{{"--from " + o.from, "is not of the destination's address family"}});
    }
    Errors unreadable;
    auto namespaces = sys::select_netns({o.netns, o.netns_of, false, o.pod, o.container}, unreadable);
    if (!namespaces) return std::unexpected(Errors{namespaces.error()});
    const auto& ns = namespaces->front();

    // Signals are taken between polls, so every connection is closed on the way out.
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigprocmask(SIG_BLOCK, &set, nullptr);

    // Progress goes to stderr, so it is there with --json too.
    const bool progress = true;
    std::vector<ProbeResult> all;
    auto first = run_round(ns, *to, from, spread_idles(0, max_s, o.connections), 1, progress);
    if (!first) return std::unexpected(first.error());
    all = first->results;
    bool interrupted = first->interrupted;
    std::uint32_t skipped = first->skipped;
    int rounds = 1;
    if (!interrupted) {
        const auto second_idles = narrowing_round(probe_findings(all), max_s, o.connections);
        if (!second_idles.empty()) {
            auto second = run_round(ns, *to, from, second_idles, 2, progress);
            if (!second) return std::unexpected(second.error());
            all.insert(all.end(), second->results.begin(), second->results.end());
            interrupted = second->interrupted;
            skipped += second->skipped;
            rounds = 2;
        }
    }
    std::sort(all.begin(), all.end(), [](const ProbeResult& a, const ProbeResult& b) { return a.idle_s < b.idle_s; });
    const auto findings = probe_findings(all);
    const auto profiles = sys::list_profiles(sys::default_profile_dirs(g.profile_dirs)).profiles;
    const auto c = conclude_probe(findings, max_s, middlebox_catalogue(), profiles, interrupted);
    if (interrupted) write_warning("probe: interrupted; every connection it opened is closed");

    auto opt = [](const std::optional<std::uint32_t>& v) { return v ? nlohmann::json(*v) : nlohmann::json(); };
    if (g.json) {
        write_json({{"schema", "keepalive-tune.probe.v1"},
                    {"destination", endpoint_json(*to)},
                    {"netns", ns.label},
                    {"max_seconds", max_s},
                    {"rounds", rounds},
                    {"interrupted", interrupted},
                    {"measured", c.measured},
                    {"limited_by", probe_limit_name(c.limit)},
                    {"bracket", c.bracket},
                    {"headline", c.headline},
                    {"survived_seconds", opt(findings.survived_s)},
                    {"forgotten_seconds", opt(findings.failed_s)},
                    {"drop", findings.drop ? nlohmann::json(probe_fate_name(*findings.drop)) : nlohmann::json()},
                    {"far_end_closes_after_ms", findings.far_end_close_ms ? nlohmann::json(*findings.far_end_close_ms) : nlohmann::json()},
                    {"matching_middleboxes", c.matching_middleboxes},
                    {"profiles_that_beat_it", c.profiles_that_beat},
                    {"notes", c.notes},
                    {"connections", results_json(all)},
                    {"closed_early", skipped}});
    } else {
        write_out("path to " + endpoint_string(*to) + (ns.label == "host" ? "" : " from netns " + ns.label) + ": " +
                  c.headline + "\n");
        for (const auto& r : all)
            write_out("  idle " + format_duration_s(r.idle_s) + ": " + probe_fate_name(r.fate) + " after " +
                      format_duration_ms(r.at_ms) + "\n");
        if (skipped)
            write_out("  " + std::to_string(skipped) + " connection(s) with longer idles closed early: a shorter idle was already forgotten\n");
        for (const auto& n : c.notes) write_out("note: " + n + "\n");
        if (!c.matching_middleboxes.empty()) {
            std::string ids;
            for (const auto& m : c.matching_middleboxes) ids += (ids.empty() ? "" : ", ") + m;
            write_out("matches: " + ids + "\n");
        }
        if (!c.profiles_line.empty()) write_out(c.profiles_line + "\n");
    }
    return c.measured && !interrupted ? k_exit_ok : k_exit_negative;
}
}  // namespace

void setup_probe(CLI::App& cmd, const GlobalOptions& global, Dispatch& dispatch) {
    auto o = std::make_shared<ProbeOptions>();
    cmd.add_option("destination", o->destination, "HOST:PORT of a server that keeps idle connections open")->required();
    cmd.add_option("--max", o->max, "the longest idle to try (2s..2h, default 15m); the run takes about this long, twice "
                                    "when a second round narrows the bracket");
    cmd.add_option("--connections", o->connections, "connections per round (2..64, default 12)")
        ->check(whole_number(2, k_probe_connections_max))
        ->type_name("N");
    cmd.add_option("--from", o->from, "the local address to connect from");
    cmd.add_option("--netns", o->netns, "probe from network namespace NAME (/run/netns) or PATH");
    as_pid(cmd.add_option("--netns-of", o->netns_of, "probe from the network namespace of process PID"));
    add_container_options(cmd, o->pod, o->container, "probe from");
    dispatch.on(&cmd, [&global, o] { return run_probe(global, *o); });
}

}  // namespace kt::cli
