#include "engine/verify_sockets.hpp"

#include "core/change/timer_check.hpp"
#include "engine/targets.hpp"

namespace kt::engine {

namespace {
// A socket's verdict: its values against the profile, and its keepalive timer against the
// profile's idle.
void judge(PreparedSocket& s, const Profile& p, VerifyOutcome& out) {
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
}  // namespace

std::expected<VerifyOutcome, Errors> verify_sockets(const TargetOptions& target, const Profile& p, const JudgedReport* each) {
    if (!target.any_process())
        return std::unexpected(Errors{{"target", "give a target: --pid PID, --comm NAME or --cgroup PATH"}});
    auto selection = socket_selection(target);
    if (!selection) return std::unexpected(Errors{selection.error()});
    auto engine = choose_engine(target.engine);
    if (!engine) return std::unexpected(Errors{engine.error()});
    VerifyOutcome out;
    out.engine = (*engine)->name();

    // The engine's own pass, which judges each socket under its lock as it goes.
    if ((*engine)->plans_in_pass(*selection)) {
        auto pids = target_pids(target);
        if (!pids) return std::unexpected(pids.error());
        std::vector<PreparedSocket> kept;
        auto in_pass = (*engine)->plan_in_pass(*pids, p, false, [&](PreparedSocket&& s) {
            judge(s, p, out);
            if (each) (*each)(s.report);
            else kept.push_back(std::move(s));
        });
        if (in_pass) {
            if (!*in_pass) return std::unexpected(in_pass->error());
            // Nothing found: the usual way finds nothing either, and says so.
            if (out.compliant + out.drift > 0) {
                out.prep = std::move((*in_pass)->prep);
                out.prep.sockets = std::move(kept);
                out.streamed = each != nullptr;
                out.in_kernel = true;
                return out;
            }
        }
    }

    auto found = find_engine_targets(target, *selection, **engine);
    if (!found) return std::unexpected(found.error());
    auto prep = (*engine)->prepare(found->sockets, p, found->queue_listeners, *selection);
    if (!prep) return std::unexpected(prep.error());
    std::vector<sys::FoundSocket>().swap(found->sockets);  // the plan holds what is needed of each from here on
    for (auto& s : prep->sockets) judge(s, p, out);
    out.gone = prep->gone.size();
    out.prep = std::move(*prep);
    return out;
}

}  // namespace kt::engine
