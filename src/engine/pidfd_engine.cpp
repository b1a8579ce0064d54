// The pidfd engine: each socket through a pidfd_getfd copy of its owner's descriptor, so
// getsockopt/setsockopt act on the owner's own socket.
#include <set>

#include "core/change/option_io.hpp"
#include "engine/engine_choice.hpp"
#include "engine/socket_engine.hpp"
#include "sys/files.hpp"
#include "sys/socket_access.hpp"
#include "sys/socket_writer.hpp"

namespace kt::engine {

namespace {
render::SocketReport gone_report(const SocketRef& ref, const Error& e) {
    render::SocketReport r;
    r.item.socket = ref;
    r.outcome = render::SocketOutcome::gone;
    r.before_read = false;
    r.error = e;
    return r;
}

class PidfdEngine : public SocketEngine {
public:
    const char* name() const override { return "pidfd"; }

    std::expected<Preparation, Errors> prepare(const std::vector<sys::FoundSocket>& found, const Profile& p,
                                               const std::vector<sys::FoundSocket>&,
                                               const sys::SocketSelection&) override {
        // One duplicate per socket stays open until the change: the descriptor limit bounds
        // how many sockets one run can reach.
        const std::uint64_t limit = sys::raise_fd_limit();
        if (limit && found.size() + 64 > limit)
            return std::unexpected(Errors{{"pidfd engine", "holds a descriptor per socket: " + std::to_string(found.size()) +
                                                               " sockets and 64 of its own are more than its "
                                                               "RLIMIT_NOFILE of " + std::to_string(limit) +
                                                               "; use --engine bpf, or narrow the targets"}});
        Preparation out;
        Errors refused;
        for (const auto& f : found) {
            auto dup = sys::duplicate_socket(f.ref.pid, f.ref.fd, f.ref.inode);
            Result<SocketOptions> before = dup ? sys::read_socket_options(dup->get())
                                               : Result<SocketOptions>(std::unexpected(dup.error()));
            if (!before) {
                if (sys::is_gone(before.error()))
                    out.gone.push_back(gone_report(f.ref, before.error()));
                else
                    refused.push_back(before.error());
                continue;
            }
            PreparedSocket s;
            s.dup = std::move(*dup);
            s.timer = f.timer;
            s.expires_ms = f.expires_ms;
            s.report.item = plan_socket(f.ref, *before, p);
            s.report.outcome = s.report.item.action == PlanAction::compliant ? render::SocketOutcome::compliant
                                                                             : render::SocketOutcome::planned;
            out.sockets.push_back(std::move(s));
        }
        // One line per process is enough: the reason is the same for all its sockets.
        if (!refused.empty()) {
            Errors per_process;
            std::set<std::string> seen;
            for (auto& e : refused) {
                const std::string pid = e.what.substr(0, e.what.find(" fd "));
                if (seen.insert(pid).second) per_process.push_back({pid, e.why, e.code});
            }
            return std::unexpected(per_process);
        }
        return out;
    }

    ChangeCounts change(Preparation& prep) override {
        ChangeCounts c;
        for (auto& s : prep.sockets) {
            auto& r = s.report;
            if (r.outcome == render::SocketOutcome::compliant) {
                ++c.compliant;
                continue;
            }
            sys::SocketOptionWriter writer(s.dup.get());
            const auto change = change_socket(
                writer, write_sequence(r.item.before, r.item.after, r.item.socket.role == SocketRole::listener),
                r.item.before);
            if (change.ok()) {
                r.outcome = render::SocketOutcome::changed;
                ++c.changed;
            } else {
                r.outcome = change.rolled_back ? render::SocketOutcome::rolled_back : render::SocketOutcome::failed;
                r.error = change.rollback_error
                              ? Error{change.error->what,
                                      change.error->why + "; putting it back failed too: " + change.rollback_error->line()}
                              : *change.error;
                ++c.failed;
            }
        }
        c.gone = prep.gone.size();
        return c;
    }

    void restore(std::vector<Restore>& restores) override {
        for (auto& x : restores) {
            auto& r = x.report;
            r.item.socket = x.socket;
            r.item.after = x.target;
            if (x.socket.inode == 0) {
                r.outcome = render::SocketOutcome::failed;
                r.before_read = false;
                r.error = Error{"cookie " + std::to_string(x.cookie),
                                "recorded in an accept queue by the BPF engine, which alone can find it: "
                                "run undo --engine bpf"};
                continue;
            }
            // Matched by pid, fd and inode (never 0 here): a closed and reused fd number is never touched.
            auto dup = sys::duplicate_socket(x.socket.pid, x.socket.fd, x.socket.inode);
            auto current = dup ? sys::read_socket_options(dup->get()) : Result<SocketOptions>(std::unexpected(dup.error()));
            if (!current) {
                r.outcome = sys::is_gone(current.error()) ? render::SocketOutcome::gone : render::SocketOutcome::failed;
                r.error = current.error();
                r.before_read = false;
                continue;
            }
            r.item.before = *current;
            sys::SocketOptionWriter writer(dup->get());
            const auto change = change_socket(
                writer, write_sequence(*current, x.target, x.socket.role == SocketRole::listener), *current);
            r.outcome = change.ok() ? render::SocketOutcome::restored : render::SocketOutcome::failed;
            if (!change.ok()) r.error = change.error;
        }
    }
};
}  // namespace

std::unique_ptr<SocketEngine> make_pidfd_engine() { return std::make_unique<PidfdEngine>(); }

Result<std::unique_ptr<SocketEngine>> choose_engine(const std::string& choice) {
    auto it = open_engine(choice);
    if (!it) return std::unexpected(it.error());
    if (*it) return make_bpf_engine(std::move(*it));
    return make_pidfd_engine();
}

}  // namespace kt::engine
