#include "cli/cmd_apply_sockets.hpp"

#include <signal.h>
#include <time.h>

#include <algorithm>
#include <cerrno>
#include <iterator>
#include <set>

#include "core/change/option_io.hpp"
#include "core/change/undo_record.hpp"
#include "core/socket/ip_text.hpp"
#include "engine/fd_sink.hpp"
#include "render/profile_view.hpp"
#include "sys/files.hpp"
#include "sys/output.hpp"
#include "sys/socket_access.hpp"
#include "sys/socket_writer.hpp"
#include "sys/target_lock.hpp"

namespace kt::cli {

namespace {
void add_to_undo(UndoRecord& undo, const std::vector<engine::PreparedSocket>& sockets) {
    for (const auto& s : sockets) {
        if (s.report.outcome != render::SocketOutcome::planned) continue;
        const auto& ref = s.report.item.socket;
        undo.sockets.push_back({ref, true, s.report.item.before, ref.inode ? 0 : s.cookie});
    }
}

// `listener`: a listener is among the sockets planned.
std::vector<std::string> apply_notes(const engine::Preparation& prep, const Profile& p, bool bpf, std::uint8_t roles,
                                     bool listener) {
    std::vector<std::string> notes;
    const bool accepted_too = (roles & role_bit(SocketRole::accepted)) != 0;
    const std::string inherit = "listeners: connections accepted from now on inherit the profile when their handshake completes; ";
    if (listener && accepted_too)
        notes.emplace_back(inherit + "connections already accepted" +
                           (bpf ? " and those waiting in the accept queues (" + std::to_string(prep.queued) +
                                      " found) are in this plan as accepted"
                                : " are in this plan as accepted; those still waiting in an accept queue have no file "
                                  "descriptor yet, so only the BPF engine reaches them"));
    else if (listener)
        notes.emplace_back(inherit + "connections already established (and those waiting in the accept queue) keep "
                           "their values: --role accepted (or no --role) includes them");
    notes.insert(notes.end(), prep.notes.begin(), prep.notes.end());
    for (const auto& hole : profile_holes(p)) notes.push_back("profile " + p.name + ": " + hole);
    return notes;
}

// `in_kernel`: planned in the engine's own pass (SocketEngine::plan_in_pass), from what each
// socket held under its lock, rather than from a read before the writes.
nlohmann::json pass_json(const char* engine, const Profile& p, bool dry_run, const std::vector<render::SocketReport>& reports,
                         const engine::ChangeCounts& c, const std::vector<std::string>& notes, bool in_kernel = false) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& r : reports) list.push_back(render::socket_report_json(r));
    return {{"schema", "keepalive-tune.apply.v2"},
            {"profile", p.name},
            {"engine", engine},
            {"dry_run", dry_run},
            {"planned_in", in_kernel ? "kernel" : "user"},
            {"sockets", list},
            {"summary", {{"changed", c.changed}, {"compliant", c.compliant}, {"failed", c.failed}, {"gone", c.gone}}},
            {"notes", notes}};
}

// The reports, moved out of `prep`.
std::vector<render::SocketReport> take_reports(engine::Preparation& prep) {
    std::vector<render::SocketReport> out;
    out.reserve(prep.sockets.size() + prep.gone.size());
    for (auto& s : prep.sockets) out.push_back(std::move(s.report));
    std::move(prep.gone.begin(), prep.gone.end(), std::back_inserter(out));
    return out;
}

// Waits up to `seconds` for SIGINT or SIGTERM (blocked, so they cannot kill us mid-write).
bool wait_for_stop_signal(unsigned seconds) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    const timespec timeout{static_cast<time_t>(seconds), 0};
    for (;;) {
        const int sig = sigtimedwait(&set, nullptr, &timeout);
        if (sig == SIGINT || sig == SIGTERM) return true;
        if (sig < 0 && errno == EINTR) continue;
        return false;
    }
}

// --pid targets cannot come back once they exit (a pid is not reused for the same program);
// --comm and --cgroup may match a restarted service, so for them the watch waits.
bool pids_left(engine::TargetOptions& target) {
    if (!target.comms.empty() || !target.cgroups.empty()) return true;
    std::erase_if(target.pids, [](std::int32_t pid) {
        if (sys::process_exists(pid)) return false;
        write_out("pid " + std::to_string(pid) + " exited\n");
        return true;
    });
    return !target.pids.empty();
}

// Every process among `found`, locked for this run; the first one another run holds is the error.
Result<void> lock_owners(sys::TargetLocks& locks, const std::vector<sys::FoundSocket>& found) {
    std::set<std::int32_t> locked;  // one entry per socket, one lock per process
    for (const auto& f : found)
        if (locked.insert(f.ref.pid).second)
            if (auto r = locks.lock_process(f.ref.pid); !r) return r;
    return {};
}

CommandResult watch(const GlobalOptions& g, const Profile& p, const ApplySocketsOptions& o,
                    const sys::SocketSelection& selection, std::set<std::uint32_t> handled, UndoRecord undo,
                    sys::TargetLocks& locks, engine::SocketEngine& engine) {
    engine::TargetOptions target = o.target;
    for (unsigned pass = 2;; ++pass) {
        if (wait_for_stop_signal(o.watch_seconds)) return k_exit_ok;
        if (!pids_left(target)) {
            write_out("every --pid target has exited: nothing left to watch\n");
            std::fflush(stdout);
            return k_exit_ok;
        }
        auto targets = engine::find_engine_targets(target, selection, engine, true);
        if (!targets) continue;  // a --comm or --cgroup service between restarts
        auto* found = &targets->sockets;
        // Sockets that are gone are forgotten, in memory and in the undo file, or a pool that
        // replaces its connections all day would grow both without end.
        std::set<std::uint32_t> current;
        for (const auto& f : *found) current.insert(f.ref.inode);
        std::erase_if(handled, [&](std::uint32_t inode) { return !current.count(inode); });
        const auto recorded = undo.sockets.size();
        std::erase_if(undo.sockets, [&](const SocketBefore& b) { return !current.count(b.socket.inode); });
        const bool pruned = undo.sockets.size() != recorded;
        std::vector<sys::FoundSocket> fresh;
        for (const auto& f : *found) {
            if (handled.count(f.ref.inode)) continue;
            // A process that appeared since (a restarted service) may be another run's.
            if (auto r = locks.lock_process(f.ref.pid); !r) {
                write_warning("pass " + std::to_string(pass) + ": " + r.error().line());
                continue;
            }
            fresh.push_back(f);
        }
        if (fresh.empty()) {
            if (pruned && !o.undo_file.empty())
                if (auto w = sys::write_file_atomically(o.undo_file, undo_to_json(undo), k_undo_file_mode); !w)
                    write_warning("pass " + std::to_string(pass) + ": " + w.error().line());
            continue;
        }
        auto prep = engine.prepare(fresh, p, targets->queue_listeners, selection);
        if (!prep) {
            for (const auto& e : prep.error()) write_warning("pass " + std::to_string(pass) + ": " + e.line());
            continue;
        }
        for (const auto& s : prep->sockets) handled.insert(s.report.item.socket.inode);
        if (!o.undo_file.empty()) {
            add_to_undo(undo, prep->sockets);
            if (auto w = sys::write_file_atomically(o.undo_file, undo_to_json(undo), k_undo_file_mode); !w) {
                write_warning("pass " + std::to_string(pass) + ": " + w.error().line() + "; nothing changed in this pass");
                continue;
            }
        }
        engine::ChangeCounts c = engine.change(*prep);
        if (c.changed == 0 && c.failed == 0) continue;  // only compliant sockets: nothing to say
        if (g.json) {
            write_out(pass_json(engine.name(), p, false, take_reports(*prep), c, {}).dump() + "\n");
        } else {
            write_out("pass " + std::to_string(pass) + ": changed " + std::to_string(c.changed) + ", failed " +
                      std::to_string(c.failed) + ", compliant " + std::to_string(c.compliant) + "\n");
            if (c.failed) engine::write_reports_text(*prep);
        }
        std::fflush(stdout);
    }
}

// The targets planned and changed in the engine's own pass (SocketEngine::plan_in_pass),
// their processes locked first; nullopt when the engine cannot, or found nothing (the usual
// path then finds nothing too, and says so, or waits for a pool's first connection).
std::expected<std::optional<engine::SocketEngine::PlannedInPass>, Errors> change_in_pass(
    const Profile& p, const ApplySocketsOptions& o, engine::SocketEngine& engine, sys::TargetLocks& locks,
    const engine::SocketEngine::SettledSocket& settled) {
    auto pids = engine::target_pids(o.target);
    if (!pids) return std::unexpected(pids.error());
    // Every target process, before any socket is planned: which of them hold a socket is known
    // only within the engine's passes.
    for (std::int32_t pid : *pids)
        if (auto r = locks.lock_process(pid); !r) return std::unexpected(Errors{r.error()});
    auto changed = engine.plan_in_pass(*pids, p, true, settled);
    if (!changed) return std::nullopt;
    if (!*changed) return std::unexpected(changed->error());
    const auto& c = (*changed)->counts;
    if (c.changed + c.compliant + c.failed + c.gone == 0) return std::nullopt;
    return std::move(**changed);
}
}  // namespace

CommandResult run_apply_sockets(const GlobalOptions& g, const Profile& p, const ApplySocketsOptions& o) {
    auto selection = engine::socket_selection(o.target);
    if (!selection) return std::unexpected(Errors{selection.error()});
    auto chosen = engine::choose_engine(o.target.engine);
    if (!chosen) return std::unexpected(Errors{chosen.error()});
    auto& engine = *chosen;
    // Block the stop signals before anything changes: a signal then ends a watch between
    // passes, never in the middle of one socket's writes.
    if (o.watch_seconds) {
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGINT);
        sigaddset(&set, SIGTERM);
        sigprocmask(SIG_BLOCK, &set, nullptr);
    }
    // One run at a time per process, dry runs included: a plan is only true while nobody else
    // changes the sockets.
    sys::TargetLocks locks("keepalive-tune apply " + p.name + (o.watch_seconds ? " --watch " + std::to_string(o.watch_seconds) : ""));
    const std::string heading = std::string(o.dry_run ? "plan (dry run, nothing changed)" : "applied") + ": profile " +
                                p.name + " (" + render::keepalive_triplet(p.keepalive) + ")\n";
    // A pass that changes each socket as it goes hands each report over at once: the table is
    // written while the pass runs. JSON and --watch keep the reports (a document, the sockets
    // handled) instead.
    struct StreamedTable {
        engine::StdoutSink sink;
        render::ChunkWriter out{sink};
        render::SocketReportStream table{out};
    };
    std::unique_ptr<StreamedTable> streamed;
    std::vector<engine::PreparedSocket> kept;
    bool listener = false;
    auto settled = [&](engine::PreparedSocket&& s) {
        const auto& r = s.report;
        listener = listener || r.item.socket.role == SocketRole::listener;
        if (g.json || o.watch_seconds) {
            kept.push_back(std::move(s));
            return;
        }
        if (!streamed) {
            write_out(heading);
            streamed = std::make_unique<StreamedTable>();
        }
        streamed->table.add(r);
    };
    std::optional<engine::SocketEngine::PlannedInPass> in_pass;
    if (!o.dry_run && o.undo_file.empty() && engine->plans_in_pass(*selection)) {
        auto changed = change_in_pass(p, o, *engine, locks, settled);
        if (!changed) return std::unexpected(changed.error());
        in_pass = std::move(*changed);
    }
    std::optional<engine::Preparation> prep;
    engine::ChangeCounts counts;
    if (in_pass) {
        prep = std::move(in_pass->prep);
        prep->sockets = std::move(kept);
        counts = in_pass->counts;
    } else {
        // A pool that connects lazily has nothing at the first pass; --watch is there to wait for it.
        auto targets = engine::find_engine_targets(o.target, *selection, *engine, o.watch_seconds != 0);
        if (!targets) return std::unexpected(targets.error());
        auto* found = &targets->sockets;
        if (found->empty())
            write_out("note: no matching socket yet; watching every " + std::to_string(o.watch_seconds) + " s\n");
        if (auto r = lock_owners(locks, *found); !r) return std::unexpected(Errors{r.error()});
        auto planned = engine->prepare(*found, p, targets->queue_listeners, *selection);
        if (!planned) return std::unexpected(planned.error());
        prep = std::move(*planned);
        for (const auto& s : prep->sockets) listener = listener || s.report.item.socket.role == SocketRole::listener;
    }
    const auto notes = apply_notes(*prep, p, std::string_view(engine->name()) == "bpf", selection->roles, listener);

    if (!o.dry_run && !in_pass) {
        // The undo file is on disk before the first setsockopt, or nothing changes.
        if (!o.undo_file.empty()) {
            UndoRecord undo;
            undo.profile = p.name;
            add_to_undo(undo, prep->sockets);
            if (auto w = sys::write_file_atomically(o.undo_file, undo_to_json(undo), k_undo_file_mode); !w)
                return std::unexpected(Errors{{"--undo-file " + o.undo_file, w.error().why + "; nothing was changed"}});
        }
        counts = engine->change(*prep);
    } else if (!in_pass) {
        counts.gone = prep->gone.size();
    }
    if (o.dry_run)
        for (const auto& s : prep->sockets)
            if (s.report.outcome == render::SocketOutcome::compliant) ++counts.compliant;

    // A watch skips the sockets handled here in its later passes.
    std::set<std::uint32_t> handled;
    if (o.watch_seconds)
        for (const auto& s : prep->sockets) handled.insert(s.report.item.socket.inode);
    if (g.json) {
        write_out(pass_json(engine->name(), p, o.dry_run, take_reports(*prep), counts, notes, in_pass.has_value())
                      .dump(o.watch_seconds ? -1 : 2) +
                  "\n");
    } else {
        if (streamed) {
            streamed->table.finish();
            streamed.reset();  // the rest of the table, before the lines after it
        } else {
            write_out(heading);
            engine::write_reports_text(*prep);
        }
        std::size_t planned = 0;
        for (const auto& s : prep->sockets) planned += s.report.outcome == render::SocketOutcome::planned;
        write_out(o.dry_run ? std::to_string(planned) + " to change, " + std::to_string(counts.compliant) + " compliant\n"
                            : std::to_string(counts.changed) + " changed, " + std::to_string(counts.compliant) +
                                  " compliant, " + std::to_string(counts.failed) + " failed, " +
                                  std::to_string(counts.gone) + " gone\n");
        for (const auto& n : notes) write_out("note: " + n + "\n");
    }
    std::fflush(stdout);
    if (counts.failed > 0) return k_exit_negative;
    if (!o.watch_seconds || o.dry_run) return k_exit_ok;

    UndoRecord undo;
    undo.profile = p.name;
    prep->sockets.clear();  // their duplicated descriptors are not needed while watching
    if (!o.undo_file.empty()) {
        auto text = sys::read_text_file(o.undo_file, 64 << 20);
        if (text)
            if (auto rec = undo_from_json(*text, o.undo_file)) undo = *rec;
    }
    return watch(g, p, o, *selection, std::move(handled), std::move(undo), locks, *engine);
}

}  // namespace kt::cli
