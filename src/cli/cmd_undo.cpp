// `keepalive-tune undo FILE`: put back what an apply changed, where it still exists.
#include <memory>

#include "cli/command.hpp"
#include "cli/output.hpp"
#include "core/option_io.hpp"
#include "core/undo_record.hpp"
#include "render/apply_view.hpp"
#include "render/table.hpp"
#include "sys/files.hpp"
#include "sys/netns.hpp"
#include "sys/socket_access.hpp"
#include "sys/socket_writer.hpp"
#include "sys/sysctl.hpp"

namespace kt::cli {

namespace {
struct UndoOptions {
    std::string file;
};

render::SocketReport restore_socket(const SocketBefore& b) {
    render::SocketReport r;
    r.item.socket.pid = b.pid;
    r.item.socket.fd = b.fd;
    r.item.socket.inode = b.inode;
    r.item.socket.role = b.listener ? SocketRole::listener : SocketRole::upstream;
    r.item.after = b.before;
    // Matched by pid, fd and inode: a closed and reused fd number is never touched.
    auto dup = sys::duplicate_socket(b.pid, b.fd, b.inode);
    auto current = dup ? sys::read_socket_options(dup->get()) : Result<SocketOptions>(std::unexpected(dup.error()));
    if (!current) {
        r.outcome = sys::is_gone(current.error()) ? render::SocketOutcome::gone : render::SocketOutcome::failed;
        r.error = current.error();
        return r;
    }
    r.item.before = *current;
    sys::SocketOptionWriter writer(dup->get());
    const auto change = change_socket(writer, write_sequence(*current, b.before, b.listener), *current);
    if (change.ok()) {
        r.outcome = render::SocketOutcome::restored;
    } else {
        r.outcome = render::SocketOutcome::failed;
        r.error = change.error;
    }
    return r;
}

CommandResult run_undo(const GlobalOptions& g, const UndoOptions& o) {
    auto text = sys::read_text_file(o.file, 64 << 20);
    if (!text) return std::unexpected(Errors{text.error()});
    auto record = undo_from_json(*text, o.file);
    if (!record) return std::unexpected(Errors{record.error()});

    std::vector<render::SocketReport> sockets;
    render::Table socket_table({"PID", "FD", "INODE", "LOCAL", "PEER", "RESULT", "DETAILS"});
    std::size_t failed = 0, gone = 0;
    for (const auto& b : record->sockets) {
        sockets.push_back(restore_socket(b));
        const auto& r = sockets.back();
        failed += r.outcome == render::SocketOutcome::failed;
        gone += r.outcome == render::SocketOutcome::gone;
        socket_table.add({std::to_string(b.pid), std::to_string(b.fd), std::to_string(b.inode), b.local.empty() ? "-" : b.local,
                          b.peer.empty() ? "-" : b.peer, render::outcome_name(r.outcome),
                          r.error ? r.error->line() : "-"});
    }
    nlohmann::json sysctls = nlohmann::json::array();
    render::Table sysctl_table({"NETNS", "SYSCTL", "VALUE", "RESULT"});
    for (const auto& s : record->sysctls) {
        sys::NetnsTarget ns{s.netns_path.empty() ? "current" : s.netns_path, s.netns_path, s.netns_inode, 0, ""};
        std::string result = "restored";
        if (!s.netns_path.empty()) {
            auto now = sys::netns_by_name(s.netns_path);
            if (!now || now->inode != s.netns_inode) result = "gone (the namespace no longer exists)";
        }
        if (result == "restored")
            if (auto w = sys::write_sysctl(ns, s.name, s.value); !w) {
                result = "FAILED: " + w.error().line();
                ++failed;
            }
        sysctls.push_back({{"netns", ns.label}, {"name", s.name}, {"value", s.value}, {"result", result}});
        sysctl_table.add({ns.label, s.name, s.value, result});
    }

    if (g.json) {
        nlohmann::json list = nlohmann::json::array();
        for (const auto& r : sockets) list.push_back(render::socket_report_json(r));
        write_json({{"schema", "keepalive-tune.undo-result.v1"},
                    {"profile", record->profile},
                    {"sockets", list},
                    {"sysctls", sysctls},
                    {"summary", {{"restored", sockets.size() - failed - gone}, {"gone", gone}, {"failed", failed}}}});
    } else {
        if (!sockets.empty()) write_out(socket_table.str());
        if (!record->sysctls.empty()) write_out(sysctl_table.str());
        write_out(std::to_string(sockets.size() - failed - gone) + " socket(s) restored, " + std::to_string(gone) +
                  " gone (closed, or the process exited), " + std::to_string(failed) + " failed\n");
    }
    return failed ? k_exit_negative : k_exit_ok;
}
}  // namespace

void setup_undo(CLI::App& cmd, const GlobalOptions& global, Dispatch& dispatch) {
    auto o = std::make_shared<UndoOptions>();
    cmd.add_option("file", o->file, "an undo file written by apply --undo-file")->required();
    dispatch.on(&cmd, [&global, o] { return run_undo(global, *o); });
}

}  // namespace kt::cli
