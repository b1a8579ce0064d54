#include "engine/apply_cgroup.hpp"

#include <set>

#include "core/change/undo_record.hpp"
#include "core/socket/socket_role.hpp"
#include "engine/engine_choice.hpp"
#include "engine/targets.hpp"
#include "sys/files.hpp"
#include "sys/target_lock.hpp"
#include "sys/target_processes.hpp"

namespace kt::engine {

Result<CgroupApply> apply_to_cgroup(const Profile& p, const std::string& cgroup, std::uint8_t roles,
                                    const std::string& undo_file) {
    auto first = [](const Errors& e) { return std::unexpected(e.empty() ? Error{"apply", "failed"} : e.front()); };
    // A cgroup made a moment ago is often still empty: nothing to apply yet, and nothing wrong.
    auto pids = sys::cgroup_processes(cgroup);
    if (!pids) return std::unexpected(pids.error());
    if (pids->empty()) return CgroupApply{};
    TargetOptions target;
    target.cgroups = {cgroup};
    target.roles = role_list_text(roles);
    target.engine = "bpf";
    auto selection = socket_selection(target);
    if (!selection) return std::unexpected(selection.error());
    auto engine = choose_engine(target.engine);
    if (!engine) return std::unexpected(engine.error());
    auto targets = find_engine_targets(target, *selection, **engine, true);
    if (!targets) return first(targets.error());
    CgroupApply out;
    out.engine = (*engine)->name();
    if (targets->sockets.empty() && targets->queue_listeners.empty()) return out;
    sys::TargetLocks locks("keepalive-tune agent (" + p.name + " on " + cgroup + ")");
    std::set<std::int32_t> locked;
    for (const auto& f : targets->sockets)
        if (locked.insert(f.ref.pid).second)
            if (auto r = locks.lock_process(f.ref.pid); !r) return std::unexpected(r.error());
    auto prep = (*engine)->prepare(targets->sockets, p, targets->queue_listeners, *selection);
    if (!prep) return first(prep.error());

    UndoRecord undo;
    undo.profile = p.name;
    if (sys::is_regular_file(undo_file))
        if (auto text = sys::read_text_file(undo_file, 64 << 20))
            if (auto rec = undo_from_json(*text, undo_file)) undo = std::move(*rec);
    std::size_t planned = 0;
    for (const auto& s : prep->sockets) {
        if (s.report.outcome != render::SocketOutcome::planned) continue;
        const auto& ref = s.report.item.socket;
        undo.sockets.push_back({ref, true, s.report.item.before, ref.inode ? 0 : s.cookie});
        ++planned;
    }
    if (planned)
        if (auto w = sys::write_file_atomically(undo_file, undo_to_json(undo), k_undo_file_mode); !w)
            return fail(undo_file, w.error().why + "; nothing was changed");
    const auto c = (*engine)->change(*prep);
    out.changed = c.changed;
    out.compliant = c.compliant;
    out.failed = c.failed;
    out.gone = c.gone;  // the engines count the sockets gone before the change too
    return out;
}

}  // namespace kt::engine
