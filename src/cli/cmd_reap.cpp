// `keepalive-tune reap`: close the connections an operator selects (by verdict, idle time,
// address, owner), never listeners. SOCK_DESTROY where the kernel has it, otherwise
// shutdown(SHUT_RDWR) on a pidfd_getfd copy of the owner's descriptor. Exit 1 when some could
// not be closed.
#include <sys/socket.h>

#include <algorithm>
#include <map>
#include <memory>

#include "cli/command.hpp"
#include "cli/health_options.hpp"
#include "cli/number_option.hpp"
#include "core/socket/ip_text.hpp"
#include "core/socket/tcp_state.hpp"
#include "render/health_view.hpp"
#include "render/table.hpp"
#include "sys/diag_client.hpp"
#include "sys/files.hpp"
#include "sys/output.hpp"
#include "sys/socket_access.hpp"

namespace kt::cli {

namespace {
enum class Method { automatic, destroy, shutdown };

struct ReapOptions {
    engine::HealthOptions health;
    std::string verdicts;
    std::string method = "auto";
    bool dry_run = false;
    bool all = false;        // the selection may be every connection of the namespaces
    std::size_t limit = 0;   // close at most this many; 0: no cap
};

struct Outcome {
    bool closed = false;
    std::string method;  // "SOCK_DESTROY", "shutdown", or empty
    std::string error;
};

// The selectors: at least one must narrow what is closed.
bool has_selector(const ReapOptions& o) {
    const auto& f = o.health.flags;
    return !o.verdicts.empty() || !f.states.empty() || !f.sports.empty() || !f.dports.empty() || !f.ports.empty() ||
           !f.peers.empty() || !f.locals.empty() || f.ipv4_only || f.ipv6_only || !f.roles.empty() || !f.keepalive.empty() ||
           !f.idle_over.empty() || !f.idle_under.empty() || !o.health.pids.empty() || !o.health.comms.empty();
}

Outcome shut_down(const JudgedConnection& c) {
    if (!c.pid) return {false, "shutdown", "no process holds it, so there is no descriptor to shut down"};
    auto dup = sys::duplicate_socket(c.pid, c.fd, c.record.inode);
    if (!dup) return {false, "shutdown", dup.error().line()};
    if (::shutdown(dup->get(), SHUT_RDWR) != 0) return {false, "shutdown", "shutdown: " + sys::errno_text(errno)};
    return {true, "shutdown", {}};
}

Outcome close_one(const JudgedConnection& c, sys::DiagSocket* diag, Method method, bool& destroy_unsupported) {
    if (method == Method::destroy && !diag)
        return {false, "SOCK_DESTROY", "no sock_diag socket could be opened in netns " + c.netns};
    if (method != Method::shutdown && !destroy_unsupported && diag) {
        auto r = diag->destroy(c.record);
        if (r) return {true, "SOCK_DESTROY", {}};
        // The kernel lacks CONFIG_INET_DIAG_DESTROY: every socket takes the fallback.
        if (r.error().code == EOPNOTSUPP && method == Method::automatic)
            destroy_unsupported = true;
        else
            return {false, "SOCK_DESTROY",
                    r.error().line() + (r.error().code == ENOENT ? " (closed already)" : "") +
                        (r.error().code == EPERM ? sys::refusal_hint("SOCK_DESTROY needs CAP_NET_ADMIN") : "")};
    }
    if (method == Method::destroy)
        return {false, "SOCK_DESTROY", "the kernel cannot destroy sockets (CONFIG_INET_DIAG_DESTROY); use --method shutdown"};
    return shut_down(c);
}

// The live connections (established, or closed by the peer and still held): what an operator
// means by "every connection", and what a selection is compared with before anything is closed.
bool live_state(std::uint8_t state) {
    return state == static_cast<std::uint8_t>(TcpState::established) ||
           state == static_cast<std::uint8_t>(TcpState::close_wait);
}

// Every live connection in the same namespaces, whatever the selectors.
Result<std::size_t> count_every_connection(const engine::HealthOptions& selected) {
    engine::HealthOptions every;
    every.netns = selected.netns;
    every.netns_of = selected.netns_of;
    every.all_netns = selected.all_netns;
    every.pod = selected.pod;
    every.container = selected.container;
    every.flags.states = "established,close-wait";
    every.states_given = [] { return true; };
    every.engine = "pidfd";  // counts only: the dump alone
    engine::HealthRequest request{&every};
    request.keep_verdicts = 0;
    request.look_up_owners = false;
    auto scan = engine::scan_health(request);
    if (!scan) return fail("reap", "cannot count the connections of the namespace: " + scan.error().front().line());
    std::size_t n = 0;
    for (const auto& ns : scan->report.netns) n += ns.counts.total();
    return n;
}

CommandResult run_reap(const GlobalOptions& g, ReapOptions& o) {
    o.health.profile_dirs = g.profile_dirs;
    if (!has_selector(o))
        return std::unexpected(Errors{{"reap", "give at least one selector (--verdict, --idle-over, --peer, --port, --pid, "
                                               "...): reap never closes everything"}});
    Method method = Method::automatic;
    if (o.method == "destroy") method = Method::destroy;
    else if (o.method == "shutdown") method = Method::shutdown;
    else if (o.method != "auto") return std::unexpected(Errors{{"--method " + o.method, "must be auto, destroy or shutdown"}});
    engine::HealthRequest request{&o.health};
    request.always_look_up_owners = true;
    request.keep_verdicts = static_cast<std::uint8_t>(0xff);
    if (!o.verdicts.empty()) {
        auto bits = parse_verdict_list(o.verdicts, "--verdict");
        if (!bits) return std::unexpected(Errors{bits.error()});
        request.keep_verdicts = *bits;
    }
    auto scan = engine::scan_health(request);
    if (!scan) return std::unexpected(scan.error());
    for (const auto& w : scan->warnings) write_warning(w.line());
    auto& report = scan->report;
    if (!o.all && !report.connections.empty()) {
        auto every = count_every_connection(o.health);
        if (!every) return std::unexpected(Errors{every.error()});
        const auto live = static_cast<std::size_t>(std::count_if(
            report.connections.begin(), report.connections.end(), [](const auto& c) { return live_state(c.record.state); }));
        if (*every > 0 && live >= *every)
            return std::unexpected(Errors{
                {"reap", "the selection matches every connection of the namespace (" + std::to_string(*every) +
                             " established or closed by the peer), so it would close them all; narrow it, or give "
                             "--all if that is meant; nothing was closed"}});
    }
    // --limit: the first connections of the report; the rest are left and said so.
    std::size_t left = 0;
    if (o.limit && report.connections.size() > o.limit) {
        left = report.connections.size() - o.limit;
        report.connections.resize(o.limit);
    }

    // One diag socket per namespace, opened inside it.
    std::map<std::string, std::optional<sys::DiagSocket>> diag;
    for (const auto& t : scan->targets) {
        auto& slot = diag[t.label];
        if (o.dry_run || method == Method::shutdown) continue;
        if (auto s = sys::open_diag_socket_in(t)) slot.emplace(std::move(*s));
    }
    std::vector<Outcome> outcomes;
    bool destroy_unsupported = false;
    std::size_t closed = 0, failed = 0;
    for (const auto& c : report.connections) {
        Outcome out;
        if (!o.dry_run) {
            auto& d = diag[c.netns];
            out = close_one(c, d ? &*d : nullptr, method, destroy_unsupported);
            (out.closed ? closed : failed)++;
        }
        outcomes.push_back(std::move(out));
    }

    if (g.json) {
        nlohmann::json list = nlohmann::json::array();
        for (std::size_t i = 0; i < report.connections.size(); ++i) {
            auto j = render::connection_json(report.connections[i]);
            const auto& out = outcomes[i];
            j["result"] = o.dry_run ? "would-close" : out.closed ? "closed" : "failed";
            j["method"] = out.method.empty() ? nlohmann::json() : nlohmann::json(out.method);
            j["error"] = out.error.empty() ? nlohmann::json() : nlohmann::json(out.error);
            list.push_back(std::move(j));
        }
        write_json({{"schema", "keepalive-tune.reap.v1"},
                    {"dry_run", o.dry_run},
                    {"engine", scan->engine},
                    {"connections", list},
                    {"summary",
                     {{"selected", report.connections.size() + left},
                      {"closed", closed},
                      {"failed", failed},
                      {"left_by_limit", left}}}});
    } else {
        render::Table t({"NETNS", "VERDICT", "STATE", "LOCAL", "PEER", "PID", "COMM", "RESULT", "DETAILS"});
        for (std::size_t i = 0; i < report.connections.size(); ++i) {
            const auto& c = report.connections[i];
            const auto& out = outcomes[i];
            t.add({c.netns, std::string(verdict_name(c.judgement.verdict)), std::string(tcp_state_name(c.record.state)),
                   endpoint_string(c.record.local), endpoint_string(c.record.peer), c.pid ? std::to_string(c.pid) : "-",
                   c.pid ? c.comm : "-",
                   o.dry_run ? "would close" : out.closed ? "closed (" + out.method + ")" : "FAILED (" + out.method + ")",
                   out.error.empty() ? c.judgement.reason : out.error});
        }
        if (!report.connections.empty()) write_out(t.str());
        write_out(o.dry_run ? std::to_string(report.connections.size()) + " connection(s) would be closed (dry run, nothing closed)\n"
                            : std::to_string(closed) + " closed, " + std::to_string(failed) + " could not be closed\n");
        if (left) write_out(std::to_string(left) + " more selected, left open by --limit " + std::to_string(o.limit) + "\n");
    }
    return failed ? k_exit_negative : k_exit_ok;
}
}  // namespace

void setup_reap(CLI::App& cmd, const GlobalOptions& global, Dispatch& dispatch) {
    auto o = std::make_shared<ReapOptions>();
    add_health_options(cmd, o->health, true);
    cmd.remove_option(cmd.get_option("--top"));  // reap prints no roll-ups
    cmd.add_option("--verdict", o->verdicts,
                   "close only connections with these verdicts (ok, at-risk, likely-dropped, peer-closed, retransmitting, "
                   "probing, unverified), comma-separated");
    cmd.add_option("--method", o->method,
                   "auto (SOCK_DESTROY, or shutdown() where the kernel lacks it), destroy, or shutdown");
    cmd.add_flag("--dry-run", o->dry_run, "list what would be closed; close nothing");
    cmd.add_flag("--all", o->all,
                 "allow a selection that matches every connection of the namespace (refused without it)");
    cmd.add_option("--limit", o->limit, "close at most N of the selected connections")
        ->check(whole_number(1, 1'000'000'000))
        ->type_name("N");
    dispatch.on(&cmd, [&global, o] { return run_reap(global, *o); });
}

}  // namespace kt::cli
