#include "engine/bpf_plan_pass.hpp"

#include "sys/files.hpp"

namespace kt::engine {

void judge_plan_pass(render::SocketReport& r, const PlannedSocket& k, const SocketOptions& have) {
    const bool kernel_compliant = k.outcome == PassOutcome::compliant;
    if (kernel_compliant != (r.item.action == PlanAction::compliant)) {
        r.outcome = render::SocketOutcome::failed;
        r.error = Error{"BPF plan pass", kernel_compliant ? "the kernel found nothing to change where the plan did"
                                                          : "the kernel changed a socket the plan found compliant"};
        return;
    }
    switch (k.outcome) {
        case PassOutcome::compliant: r.outcome = render::SocketOutcome::compliant; return;
        case PassOutcome::drift: r.outcome = render::SocketOutcome::planned; return;
        case PassOutcome::changed:
            r.outcome = render::SocketOutcome::changed;
            // Read under the socket's lock right after the writes: checked without a pass.
            if (!(have == r.item.after)) {
                r.outcome = render::SocketOutcome::failed;
                r.error = Error{"verification", "the kernel shows other values after the pass"};
            }
            return;
        case PassOutcome::failed:
        case PassOutcome::put_back_failed: {
            r.error = setsockopt_error(socket_option_name(static_cast<SocketOption>(k.failed_option)), k.write_errno);
            if (k.outcome == PassOutcome::failed) {
                r.outcome = render::SocketOutcome::rolled_back;
            } else {
                r.outcome = render::SocketOutcome::failed;
                r.error->why += "; putting it back failed too";
            }
            return;
        }
        case PassOutcome::none: break;
    }
    r.outcome = render::SocketOutcome::failed;
    r.error = Error{"BPF plan pass", "no outcome for the socket"};
}

Error setsockopt_error(const char* option, int error) {
    return {std::string("bpf_setsockopt ") + option, sys::errno_text(error), error};
}

void count_outcome(ChangeCounts& c, render::SocketOutcome o) {
    if (o == render::SocketOutcome::compliant) ++c.compliant;
    if (o == render::SocketOutcome::changed) ++c.changed;
    if (o == render::SocketOutcome::failed || o == render::SocketOutcome::rolled_back) ++c.failed;
    if (o == render::SocketOutcome::gone) ++c.gone;
}

bool same_listening_address(const Endpoint& listener, const Endpoint& local) {
    if (listener.port != local.port) return false;
    return listener.address.is_unspecified() || listener.address.unmapped() == local.address.unmapped();
}

std::vector<std::pair<sys::FoundSocket, const PassSocket*>> queued_connections(
    const sys::FoundSocket& l, const std::set<std::uint32_t>& targeted, const std::vector<PassSocket>& listeners,
    const std::vector<PassSocket>& queued, std::set<std::uint64_t>& taken, std::vector<std::string>& notes) {
    for (const auto& k : listeners)
        if (!targeted.count(k.inode) && k.local.port == l.ref.local.port &&
            (same_listening_address(l.ref.local, k.local) || same_listening_address(k.local, l.ref.local))) {
            notes.push_back("accept queue of " + std::to_string(l.ref.local.port) +
                            ": listeners of other processes share the port (SO_REUSEPORT), so its queued "
                            "connections were left alone");
            return {};
        }
    std::vector<std::pair<sys::FoundSocket, const PassSocket*>> out;
    for (const auto& k : queued) {
        if (!same_listening_address(l.ref.local, k.local)) continue;
        if (!taken.insert(k.cookie).second) continue;
        sys::FoundSocket q;
        q.ref = {l.ref.pid, -1, 0, SocketRole::accepted, k.state, k.local, k.peer};
        out.push_back({q, &k});
    }
    return out;
}

}  // namespace kt::engine
