#include "engine/verify_sockets.hpp"

#include "core/change/timer_check.hpp"
#include "engine/targets.hpp"

namespace kt::engine {

std::expected<VerifyOutcome, Errors> verify_sockets(const TargetOptions& target, const Profile& p) {
    if (!target.any_process())
        return std::unexpected(Errors{{"target", "give a target: --pid PID, --comm NAME or --cgroup PATH"}});
    auto selection = socket_selection(target);
    if (!selection) return std::unexpected(Errors{selection.error()});
    auto engine = choose_engine(target.engine);
    if (!engine) return std::unexpected(Errors{engine.error()});
    auto found = find_engine_targets(target, *selection, **engine);
    if (!found) return std::unexpected(found.error());
    auto prep = (*engine)->prepare(found->sockets, p, found->queue_listeners, *selection);
    if (!prep) return std::unexpected(prep.error());
    std::vector<sys::FoundSocket>().swap(found->sockets);  // the plan holds what is needed of each from here on

    VerifyOutcome out;
    out.engine = (*engine)->name();
    for (auto& s : prep->sockets) {
        auto& r = s.report;
        // A connection still in an accept queue was not in the sock_diag dump: no timer seen.
        const bool timer_seen = r.item.socket.inode != 0;
        if (timer_seen)
            if (auto finding = check_keepalive_timer(r.item.socket.state, static_cast<DiagTimer>(s.timer), s.expires_ms, p))
                r.notes.push_back(*finding);
        const bool ok = r.item.drift == 0 && r.notes.empty();
        r.outcome = ok ? render::SocketOutcome::compliant : render::SocketOutcome::drift;
        (ok ? out.compliant : out.drift)++;
        s.dup = {};  // the pidfd engine's copy of the socket: verify changes nothing
    }
    out.gone = prep->gone.size();
    out.prep = std::move(*prep);
    return out;
}

}  // namespace kt::engine
