// `keepalive-tune undo FILE`: put back what an apply changed, where it still exists.
#include <memory>

#include "cli/command.hpp"
#include "cli/engine_option.hpp"
#include "core/change/undo_record.hpp"
#include "engine/socket_engine.hpp"
#include "render/apply_view.hpp"
#include "render/table.hpp"
#include "sys/files.hpp"
#include "sys/netns.hpp"
#include "sys/output.hpp"
#include "sys/sysctl.hpp"
#include "sys/target_lock.hpp"
#include "sys/target_processes.hpp"

namespace kt::cli {

namespace {
struct UndoOptions {
    std::string file;
    std::string engine = "auto";
};

// Sockets and sysctls are counted apart: a script reads either.
struct UndoCounts {
    std::size_t restored = 0, gone = 0, failed = 0;
    void add(render::SocketOutcome o) {
        restored += o == render::SocketOutcome::restored;
        gone += o == render::SocketOutcome::gone;
        failed += o == render::SocketOutcome::failed;
    }
    nlohmann::json json() const { return {{"restored", restored}, {"gone", gone}, {"failed", failed}}; }
};

struct SysctlReport {
    const SysctlBefore* entry;
    render::SocketOutcome outcome = render::SocketOutcome::restored;
    std::string detail;  // why gone or failed
};

SysctlReport restore_sysctl(const SysctlBefore& s) {
    SysctlReport r{&s, render::SocketOutcome::restored, {}};
    sys::NetnsTarget ns{s.netns_label, s.netns_path, s.netns_inode, 0, ""};
    if (!s.netns_path.empty()) {
        // Deleted, or deleted and made again under the same name: not the namespace apply changed.
        auto now = sys::netns_by_name(s.netns_path);
        if (!now || now->inode != s.netns_inode) {
            r.outcome = render::SocketOutcome::gone;
            r.detail = "the namespace no longer exists";
            return r;
        }
    }
    if (auto w = sys::write_sysctl(ns, s.name, std::to_string(s.value)); !w) {
        r.outcome = render::SocketOutcome::failed;
        r.detail = w.error().line();
    }
    return r;
}

std::string counts_text(const UndoCounts& c, const char* what, const char* gone_means) {
    return std::to_string(c.restored) + " " + what + " restored, " + std::to_string(c.gone) + " gone (" + gone_means +
           "), " + std::to_string(c.failed) + " failed";
}

CommandResult run_undo(const GlobalOptions& g, const UndoOptions& o) {
    auto text = sys::read_text_file(o.file, 64 << 20);
    if (!text) return std::unexpected(Errors{text.error()});
    // The whole file is checked before the first write: a bad entry anywhere changes nothing.
    auto record = undo_from_json(*text, o.file);
    if (!record) return std::unexpected(Errors{record.error()});

    // The processes and namespaces it restores are this run's alone until it ends.
    sys::TargetLocks locks("keepalive-tune undo " + o.file);
    Errors held;
    for (const auto& b : record->sockets)
        if (sys::process_exists(b.socket.pid))
            if (auto r = locks.lock_process(b.socket.pid); !r) held.push_back(r.error());
    for (const auto& s : record->sysctls)
        if (auto r = locks.lock_netns(s.netns_inode, s.netns_label); !r) held.push_back(r.error());
    if (!held.empty()) return std::unexpected(held);

    std::unique_ptr<engine::SocketEngine> engine;
    if (!record->sockets.empty()) {
        auto chosen = engine::choose_engine(o.engine);
        if (!chosen) return std::unexpected(Errors{chosen.error()});
        engine = std::move(*chosen);
    }
    std::vector<engine::SocketEngine::Restore> restores;
    for (const auto& b : record->sockets) {
        engine::SocketEngine::Restore x{b.socket, b.cookie, b.before, {}};
        x.report.role_known = b.role_known;
        restores.push_back(std::move(x));
    }
    if (engine) engine->restore(restores);
    std::vector<render::SocketReport> sockets;
    UndoCounts socket_counts, sysctl_counts;
    for (auto& x : restores) {
        sockets.push_back(std::move(x.report));
        socket_counts.add(sockets.back().outcome);
    }
    std::vector<SysctlReport> sysctls;
    for (const auto& s : record->sysctls) {
        sysctls.push_back(restore_sysctl(s));
        sysctl_counts.add(sysctls.back().outcome);
    }

    if (g.json) {
        nlohmann::json socket_list = nlohmann::json::array(), sysctl_list = nlohmann::json::array();
        for (const auto& r : sockets) socket_list.push_back(render::socket_report_json(r));
        for (const auto& r : sysctls)
            sysctl_list.push_back({{"netns", r.entry->netns_label},
                                   {"netns_inode", r.entry->netns_inode},
                                   {"name", r.entry->name},
                                   {"target", r.entry->value},
                                   {"result", render::outcome_json_name(r.outcome)},
                                   {"error", r.detail.empty() ? nlohmann::json() : nlohmann::json(r.detail)}});
        write_json({{"schema", "keepalive-tune.undo-result.v2"},
                    {"profile", record->profile},
                    {"engine", engine ? nlohmann::json(engine->name()) : nlohmann::json()},
                    {"sockets", socket_list},
                    {"sysctls", sysctl_list},
                    {"summary", {{"sockets", socket_counts.json()}, {"sysctls", sysctl_counts.json()}}}});
    } else {
        if (!sockets.empty()) write_out(render::socket_reports_text(sockets));
        if (!sysctls.empty()) {
            render::Table t({"NETNS", "SYSCTL", "VALUE", "RESULT"});
            for (const auto& r : sysctls)
                t.add({r.entry->netns_label, r.entry->name, std::to_string(r.entry->value),
                       std::string(render::outcome_name(r.outcome)) + (r.detail.empty() ? "" : ": " + r.detail)});
            write_out(t.str());
        }
        if (!sockets.empty() || sysctls.empty())
            write_out(counts_text(socket_counts, "socket(s)", "closed, or the process exited") + "\n");
        if (!sysctls.empty())
            write_out(counts_text(sysctl_counts, "sysctl(s)", "the namespace no longer exists") + "\n");
    }
    return socket_counts.failed + sysctl_counts.failed ? k_exit_negative : k_exit_ok;
}
}  // namespace

void setup_undo(CLI::App& cmd, const GlobalOptions& global, Dispatch& dispatch) {
    auto o = std::make_shared<UndoOptions>();
    cmd.add_option("file", o->file, "an undo file written by apply --undo-file")->required();
    add_engine_option(cmd, o->engine);
    dispatch.on(&cmd, [&global, o] { return run_undo(global, *o); });
}

}  // namespace kt::cli
