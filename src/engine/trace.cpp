#include "engine/trace.hpp"

#include <poll.h>
#include <signal.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <optional>

#include "core/socket/diag_bytecode.hpp"
#include "core/text/duration.hpp"
#include "core/trace/connection_end.hpp"
#include "render/trace_view.hpp"
#include "sys/bpf_trace.hpp"
#include "sys/output.hpp"
#include "engine/trace_lookups.hpp"

namespace kt::engine {

namespace {
volatile sig_atomic_t g_stop = 0;
void on_stop(int) { g_stop = 1; }

struct Selection {
    std::optional<std::uint64_t> duration_ms;
    KernelFilter filter;
    std::vector<EndReason> reasons;
    std::vector<std::uint32_t> netns;  // empty: every namespace
    std::uint8_t roles = k_all_roles;
};

std::expected<Selection, Errors> validate(const TraceOptions& o) {
    Selection s;
    Errors problems;
    if (!o.duration.empty()) {
        if (auto d = parse_duration_ms(o.duration); d && *d > 0)
            s.duration_ms = *d;
        else
            problems.push_back({"--duration", d ? "must be more than 0" : d.error().why});
    }
    for (const auto& p : o.ports) {
        if (auto r = parse_port_range(p, "--port"))
            s.filter.either_port.push_back(*r);
        else
            problems.push_back(r.error());
    }
    for (const auto& p : o.peers) {
        if (auto c = parse_cidr(p, "--peer"))
            s.filter.peer.push_back(*c);
        else
            problems.push_back(c.error());
    }
    for (const auto& r : o.reasons) {
        if (auto reason = end_reason_of(r))
            s.reasons.push_back(*reason);
        else
            problems.push_back({"--reason " + r,
                                "not a reason: keepalive-timeout, retransmit-timeout, reset-received, reset-sent, "
                                "error or closed"});
    }
    if (!o.roles.empty()) {
        if (auto r = parse_role_list(o.roles, "--role"))
            s.roles = *r;
        else
            problems.push_back(r.error());
    }
    if (o.top == 0) problems.push_back({"--top", "must be at least 1"});
    if (!problems.empty()) return std::unexpected(problems);
    return s;
}

std::uint64_t clock_ms(clockid_t id) {
    timespec ts{};
    clock_gettime(id, &ts);
    return static_cast<std::uint64_t>(ts.tv_sec) * 1000 + static_cast<std::uint64_t>(ts.tv_nsec) / 1000000;
}
}  // namespace

std::expected<int, Errors> run_trace(const TraceOptions& o) {
    auto selection = validate(o);
    if (!selection) return std::unexpected(selection.error());
    // Without --all-netns, only the namespaces chosen (by default the caller's own, as inspect).
    if (!o.netns.all) {
        Errors warnings;
        auto chosen = sys::select_netns(o.netns, warnings);
        if (!chosen) return std::unexpected(Errors{chosen.error()});
        for (const auto& t : *chosen) selection->netns.push_back(static_cast<std::uint32_t>(t.inode));
    }
    if (!o.pids.empty() || !o.comms.empty()) {
        auto chosen = sys::scan_socket_owners({"/proc", o.pids, o.comms});
        if (!chosen.problems.empty()) return std::unexpected(chosen.problems);
    }

    // One namespace is chosen in the kernel: the ring buffer then carries that one's ends alone.
    const std::uint32_t only = selection->netns.size() == 1 ? selection->netns.front() : 0;
    // Sides marked in the kernel only where --role selects by them (their cost: EndTracer).
    auto tracer = sys::EndTracer::load({o.all, o.ring_bytes, only, !o.roles.empty()});
    if (!tracer) {
        auto e = tracer.error();
        e.what = "trace";
        e.why += " (trace has no other engine)";
        return std::unexpected(Errors{e});
    }
    auto& t = **tracer;

    struct sigaction sa {};
    sa.sa_handler = on_stop;
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);

    write_progress(std::string("tracing connection ends") + (o.all ? " (normal closes too)" : "") +
                   (selection->duration_ms ? "" : "; Ctrl-C stops"));
    // Records carry CLOCK_BOOTTIME; the lines show wall-clock time.
    const std::int64_t boot_to_unix_ms =
        static_cast<std::int64_t>(clock_ms(CLOCK_REALTIME)) - static_cast<std::int64_t>(clock_ms(CLOCK_BOOTTIME));
    const auto start = std::chrono::steady_clock::now();
    TraceNamespaces namespaces;
    TraceRoles roles(namespaces);
    TraceOwners owners;
    render::TraceSummary summary;
    std::uint64_t shown = 0, lost_reported = 0;
    Errors bad_records;

    auto on_record = [&](std::span<const std::uint8_t> bytes) {
        if (o.count && shown >= o.count) return;
        auto end = parse_connection_end(bytes);
        if (!end) {
            if (bad_records.empty()) bad_records.push_back(end.error());
            return;
        }
        const auto& s = *selection;
        if (!s.netns.empty() && std::find(s.netns.begin(), s.netns.end(), end->netns_inode) == s.netns.end()) return;
        if (!s.filter.empty()) {
            SocketRecord r;
            r.local = end->local;
            r.peer = end->peer;
            if (!s.filter.matches(r)) return;
        }
        render::TraceEvent e;
        e.end = *end;
        e.verdict = judge_end(*end, t.hz(), middlebox_catalogue());
        if (!s.reasons.empty() && std::find(s.reasons.begin(), s.reasons.end(), e.verdict.reason) == s.reasons.end())
            return;
        e.role = roles.role(*end);
        if (s.roles != k_all_roles && !(e.role && (s.roles & role_bit(*e.role)))) return;
        if (end->inode != 0) {
            std::string comm;
            if (const auto* owner = owners.find(end->inode, comm)) {
                e.owner = render::OwnerState::found;
                e.pid = owner->pid;
                e.comm = comm;
            } else {
                e.owner = render::OwnerState::gone;
            }
        }
        if (!o.pids.empty() || !o.comms.empty()) {
            if (e.owner != render::OwnerState::found) return;
            const bool pid_ok = o.pids.empty() || std::find(o.pids.begin(), o.pids.end(), e.pid) != o.pids.end();
            const bool comm_ok = o.comms.empty() || std::find(o.comms.begin(), o.comms.end(), e.comm) != o.comms.end();
            if (!pid_ok || !comm_ok) return;
        }
        e.unix_ms = static_cast<std::uint64_t>(static_cast<std::int64_t>(end->boot_ns / 1000000) + boot_to_unix_ms);
        e.netns = namespaces.label(end->netns_inode);
        if (end->kind == EndKind::reset_sent) e.reset_reason = reset_reason_name(*end, t.reset_reasons());
        ++shown;
        summary.add(e);
        if (o.summary) return;
        write_out(o.json ? render::trace_json(e).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n"
                              : render::trace_line(e));
        std::fflush(stdout);
    };

    while (!g_stop) {
        if (o.count && shown >= o.count) break;
        int wait_ms = 250;
        if (selection->duration_ms) {
            const auto elapsed =
                std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
            if (static_cast<std::uint64_t>(elapsed) >= *selection->duration_ms) break;
            wait_ms = static_cast<int>(std::min<std::uint64_t>(250, *selection->duration_ms - static_cast<std::uint64_t>(elapsed)));
        }
        auto r = t.poll(wait_ms, on_record);
        if (!r) return std::unexpected(Errors{r.error()});
        if (const auto lost = t.dropped(); lost > lost_reported) {
            write_warning("trace: " + std::to_string(lost - lost_reported) +
                               " connection ends lost: the ring buffer was full (" + std::to_string(lost) + " in all)");
            lost_reported = lost;
        }
    }
    // What is still in the ring buffer when the end came.
    if (!(o.count && shown >= o.count))
        if (auto r = t.poll(0, on_record); !r) return std::unexpected(Errors{r.error()});
    if (!bad_records.empty()) write_warning(bad_records.front().line());
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    summary.set_lost(t.dropped());
    if (o.summary) {
        if (o.json)
            write_json(summary.json(seconds, o.top));
        else
            write_out(summary.text(seconds, o.top));
    }
    return 0;
}

}  // namespace kt::engine
