// The BPF engine: every socket of the owners' namespaces in one iterator pass, read and
// changed in the kernel by socket cookie, connections still in accept queues included.
#include <algorithm>
#include <future>
#include <map>
#include <set>

#include "core/change/pass_writes.hpp"
#include "core/socket/inspect_query.hpp"
#include "core/socket/kernel_socket_index.hpp"
#include "core/socket/socket_role.hpp"
#include "core/socket/tcp_state.hpp"
#include "engine/bpf_pass_targets.hpp"
#include "engine/bpf_plan_pass.hpp"
#include "engine/socket_engine.hpp"
#include "sys/files.hpp"

namespace kt::engine {

namespace {
class BpfEngine : public SocketEngine {
public:
    explicit BpfEngine(std::unique_ptr<sys::SocketIterator> it) : m_it(std::move(it)) {}
    const char* name() const override { return "bpf"; }

    std::expected<Preparation, Errors> prepare(const std::vector<sys::FoundSocket>& found, const Profile& p,
                                               const std::vector<sys::FoundSocket>& queue_listeners,
                                               const sys::SocketSelection& selection) override {
        auto missing_from = [&](const PassTargets& pass) {
            for (const auto* list : {&found, &queue_listeners})
                for (const auto& f : *list)
                    if (!pass.by_inode.find(f.ref.inode)) return true;
            return false;
        };
        // What the pass started beside finding the targets kept of them, unless a socket
        // found is not in it (made meanwhile, when a dump found the targets): then a pass of
        // our own.
        std::optional<PassTargets> pass = std::move(m_targets);
        m_targets.reset();
        if (!pass)  // the targets were found by a dump: the prefetched pass whole
            if (auto views = prefetched(); views && *views) pass = pass_targets_of(std::move(**views), nullptr);
        if (!pass || missing_from(*pass)) {
            pass.reset();
            std::vector<std::int32_t> pids;
            for (const auto* list : {&found, &queue_listeners})
                for (const auto& f : *list) pids.push_back(f.ref.pid);
            auto views = read_namespaces(pids);
            if (!views) return std::unexpected(views.error());
            pass = pass_targets_of(std::move(*views), nullptr);
        }
        Preparation out;
        out.sockets.reserve(found.size());
        for (const auto& n : pass->namespaces) out.namespaces.push_back(n.target);

        auto plan = [&](const sys::FoundSocket& f, const auto& k, std::uint32_t ns) {
            PreparedSocket s = planned(f.ref, k, ns, pass->namespaces[ns].defaults, p);
            s.timer = f.timer;
            s.expires_ms = f.expires_ms;
            out.sockets.push_back(std::move(s));
        };
        for (const auto& f : found) {
            const PassOptions* k = pass->by_inode.find(f.ref.inode);
            if (!k) {
                out.gone.push_back(gone(f.ref, "closed before the BPF pass"));
                continue;
            }
            plan(f, *k, k->netns);
        }
        // Connections in a targeted listener's accept queue have no file yet, and belong to
        // that listener's process once accepted.
        std::set<std::uint32_t> targeted;
        for (const auto& l : queue_listeners) targeted.insert(l.ref.inode);
        for (const auto& l : queue_listeners) {
            const PassOptions* listener = pass->by_inode.find(l.ref.inode);
            if (!listener) continue;
            const auto& ns = pass->namespaces[listener->netns];
            for (const auto& [q, k] : queued_connections(l, targeted, ns.listeners, ns.queued, m_queued, out.notes)) {
                if (!selection.matches(q.ref)) continue;
                plan(q, *k, listener->netns);
                ++out.queued;
            }
        }
        return out;
    }

    bool plans_in_pass(const sys::SocketSelection& selection) const override {
        return selection.roles == k_all_roles && selection.ports.empty() && selection.peers.empty();
    }

    // apply: the task-file pass finds the targets' sockets, then one plan pass per namespace
    // plans and changes each of them in the kernel from what it holds under its lock. verify:
    // the pass judges every socket of the targets' namespaces while the task-file pass runs
    // beside it, and only the targets' are kept once it is known whose they are. Either pass
    // also shows every listener (roles) and every connection without a file, of which those
    // in the targeted listeners' queues are planned (apply: in a pass of their own).
    std::optional<std::expected<PlannedInPass, Errors>> plan_in_pass(const std::vector<std::int32_t>& pids,
                                                                     const Profile& p, bool change,
                                                                     const SettledSocket& settled) override {
        PlannedInPass done;
        sys::SocketIterator::PassPlan plan;
        plan.want = profile_options(p, {});
        plan.keep_user_timeout = !p.user_timeout_ms.has_value();
        plan.states = k_default_inspect_states;
        plan.check_only = plan.all_targets = !change;
        if (change) {
            auto held = read_target_owners(*m_it, pids);
            if (!held) return std::unexpected(Errors{held.error()});
            if (!held->inodes.empty()) {
                const auto [low, high] = std::minmax_element(held->inodes.begin(), held->inodes.end());
                if (std::uint64_t{*high} - *low + 1 >= sys::SocketIterator::k_plan_inode_span) return std::nullopt;
            }
            Errors warnings;
            auto targets = sys::namespaces_of(held->holders, warnings);
            if (!warnings.empty()) return std::unexpected(warnings);
            std::promise<const InodeOwners*> known;
            known.set_value(&held->owners);
            const auto owners = known.get_future().share();
            for (auto& t : targets)
                if (auto r = plan_namespace(std::move(t), plan, held->inodes, owners, p, change, settled, done); !r)
                    return std::unexpected(Errors{r.error()});
            return done;
        }
        Errors warnings;
        auto targets = sys::namespaces_of(pids, warnings);
        if (!warnings.empty()) return std::unexpected(warnings);
        std::promise<const InodeOwners*> known;
        std::shared_future<const InodeOwners*> owners = known.get_future().share();
        auto judged = std::async(std::launch::async, [&]() -> Result<void> {
            for (auto& t : targets)
                if (auto r = plan_namespace(std::move(t), plan, {}, owners, p, change, settled, done); !r) return r;
            return {};
        });
        auto held = read_target_owners(*m_it, pids);
        known.set_value(held ? &held->owners : nullptr);
        const auto r = judged.get();
        if (!held) return std::unexpected(Errors{held.error()});
        if (!r) return std::unexpected(Errors{r.error()});
        return done;
    }

    ChangeCounts change(Preparation& prep) override {
        std::map<std::size_t, std::vector<PreparedSocket*>> by_ns;
        for (auto& s : prep.sockets)
            if (s.report.outcome != render::SocketOutcome::compliant) by_ns[s.netns].push_back(&s);
        for (auto& [ns, sockets] : by_ns) change_in(prep.namespaces[ns], sockets);
        return counts_of(prep);
    }

    void restore(std::vector<Restore>& restores) override {
        std::vector<std::int32_t> pids;
        for (const auto& x : restores) pids.push_back(x.socket.pid);
        // A process that exited took its sockets with it: only namespaces still seen count.
        auto views = read_namespaces(pids, true);
        for (auto& x : restores) {
            x.report.item.socket = x.socket;
            x.report.item.after = x.target;
            x.report.outcome = render::SocketOutcome::gone;
            x.report.before_read = false;
        }
        if (!views) {
            for (auto& x : restores) {
                x.report.outcome = render::SocketOutcome::failed;
                x.report.error = views.error().front();
            }
            return;
        }
        for (std::size_t ns = 0; ns < views->size(); ++ns) {
            const auto& view = (*views)[ns];
            std::vector<SocketAt> inodes, cookies;
            inodes.reserve(view.sockets.size());
            cookies.reserve(view.sockets.size());
            for (const auto& s : view.sockets) {
                if (s.inode) inodes.push_back({s.inode, &s});
                cookies.push_back({s.cookie, &s});
            }
            const SocketsByKey by_inode(std::move(inodes)), by_cookie(std::move(cookies));
            PassWrites writes;
            std::vector<Restore*> touched;
            for (auto& x : restores) {
                const auto& index = x.socket.inode ? by_inode : by_cookie;
                const SocketAt* found = index.find(x.socket.inode ? x.socket.inode : x.cookie);
                if (!found) continue;
                const PassSocket* k = found->socket;
                const auto current = exact_options_of(*k, m_it->hz(), view.defaults).options;
                x.report.item.before = current;
                x.report.before_read = true;
                x.cookie = k->cookie;
                writes.add(k->cookie, write_sequence(current, x.target, x.socket.role == SocketRole::listener));
                touched.push_back(&x);
            }
            if (touched.empty()) continue;
            auto result = m_it->apply(view.target, writes);
            const Reached reached = result ? Reached(std::move(*result)) : Reached{};
            for (std::size_t i = 0; i < touched.size(); ++i) {
                auto& r = touched[i]->report;
                if (!result) {
                    r.outcome = render::SocketOutcome::failed;
                    r.error = result.error();
                    continue;
                }
                const AppliedSocket* k = reached.find(writes.cookie(i));
                if (!k) continue;  // closed between the two passes
                if (k->writes_done == writes.writes(i).size()) {
                    r.outcome = render::SocketOutcome::restored;
                } else {
                    r.outcome = render::SocketOutcome::failed;
                    r.error = write_error(writes.writes(i), *k);
                }
            }
        }
        report_owners(restores);
    }

    // The iterator reaches a socket by inode or cookie, not through the process the undo file
    // names, which may have exited or passed it on: each restored socket is reported with the
    // process that holds it now, as the kernel's file table says (pid 0: none).
    void report_owners(std::vector<Restore>& restores) {
        bool any = false;
        for (const auto& x : restores) any = any || (x.report.before_read && x.socket.inode);
        if (!any) return;
        auto files = m_it->socket_files();
        if (!files) return;  // the undo file's pid stands, as the pidfd engine would report it
        // The first holder of each socket: the lowest pid and fd, as the /proc scan picks.
        const auto holders = sys::owner_scan_of(*files);
        for (auto& x : restores) {
            if (!x.report.before_read || !x.socket.inode) continue;
            auto& ref = x.report.item.socket;
            const sys::SocketOwner* holder = holders.index.find(x.socket.inode);
            ref.pid = holder ? holder->pid : 0;
            ref.fd = holder ? holder->fd : 0;
        }
    }

    void prefetch(const std::vector<std::int32_t>& pids) override {
        m_pass.reset();  // a watch's earlier pass
        m_targets.reset();
        m_prefetch = std::async(std::launch::async, [this, pids] { return read_namespaces(pids); });
    }

    // The targets from the prefetched pass: its records have what a sock_diag dump of the
    // namespaces would give (a dump of 500k sockets costs about as much as the pass).
    std::optional<std::expected<std::vector<sys::FoundSocket>, Errors>> find_in_pass(
        const sys::SocketSelection& selection, const sys::SocketOwnerIndex& owners) override {
        if (!m_pass && m_prefetch.valid()) m_pass = m_prefetch.get();
        if (!m_pass) return std::nullopt;
        if (!*m_pass) return std::unexpected(m_pass->error());
        auto& views = **m_pass;
        std::size_t total = 0;
        for (const auto& view : views) total += view.sockets.size();
        std::vector<sys::FoundSocket> found;
        found.reserve(total);  // pages only where written: the found ones
        ChosenSockets chosen(views.size());
        for (std::size_t ns = 0; ns < views.size(); ++ns) {
            const auto& sockets = views[ns].sockets;
            chosen[ns].assign(sockets.size(), false);
            ListenerIndex listeners;
            for (const auto& k : sockets)
                if (k.state == static_cast<std::uint8_t>(TcpState::listen)) listeners.add(k.local);
            for (std::size_t i = 0; i < sockets.size(); ++i) {
                const auto& k = sockets[i];
                // What the dump asks for: listening and connected sockets, each with its file.
                if (!k.inode || !(k_default_inspect_states & state_bit(static_cast<TcpState>(k.state)))) continue;
                const sys::SocketOwner* owner = owners.find(k.inode);
                if (!owner) continue;
                sys::FoundSocket f;
                f.ref = SocketRef{owner->pid, owner->fd, k.inode, listeners.role_of(k.state, k.local), k.state, k.local, k.peer};
                f.timer = static_cast<std::uint8_t>(k.timer);
                f.expires_ms = static_cast<std::uint32_t>(std::uint64_t{k.timer_jiffies} * 1000 / m_it->hz());
                if (!selection.matches(f.ref)) continue;
                found.push_back(f);
                chosen[ns][i] = true;
            }
        }
        // Only the options of what was found are kept for prepare(): the pass is let go, and
        // so are the buffers the task-file pass was read into.
        m_targets = pass_targets_of(std::move(views), &chosen);
        m_pass.reset();
        m_it->release_buffers();
        return found;
    }

    std::optional<std::vector<SocketFile>> socket_files() override {
        auto files = m_it->socket_files();
        if (!files) return std::nullopt;
        return std::move(*files);
    }

private:
    // One plan pass in namespace `t`; each target settles as the pass reaches it, once `owners`
    // says whose it is (a socket nobody among the targets holds is not one), and the
    // connections in the targeted listeners' queues after the pass.
    Result<void> plan_namespace(sys::NetnsTarget t, sys::SocketIterator::PassPlan plan,
                                const std::vector<std::uint32_t>& inodes,
                                const std::shared_future<const InodeOwners*>& owners, const Profile& p, bool change,
                                const SettledSocket& settled, PlannedInPass& done) {
        Preparation& out = done.prep;
        auto settle = [&](PreparedSocket&& s) {
            count_outcome(done.counts, s.report.outcome);
            settled(std::move(s));
        };
        auto defaults = sys::read_keepalive_defaults(t);
        if (!defaults) return std::unexpected(defaults.error());
        plan.defaults = *defaults;
        const std::uint32_t ns = static_cast<std::uint32_t>(out.namespaces.size());
        ListenerIndex roles;
        std::vector<PassSocket> listeners, unaccepted;
        std::vector<sys::FoundSocket> targeted_listeners;
        bool connections_settled = false, listener_after = false;
        const InodeOwners* whose = nullptr;
        bool known = false;
        auto r = m_it->plan(t, plan, inodes, [&](const PlannedSocket& k) {
            if (!known) {
                whose = owners.get();
                known = true;
            }
            if (!whose) return;  // the task-file pass failed: nothing is kept
            const bool listening = k.state == static_cast<std::uint8_t>(TcpState::listen);
            if (listening) {
                roles.add(k.local);
                listeners.push_back(pass_socket_of(k));
                listener_after = listener_after || connections_settled;
            }
            if (k.kind == PlannedKind::unaccepted) unaccepted.push_back(pass_socket_of(k));
            if (k.kind != PlannedKind::target) return;
            const sys::SocketOwner* owner = whose->find(k.inode);
            if (!owner) return;
            // The iterator walks the listening hash before the established one
            // (bpf_iter_tcp_batch), so every listener is known before any connection.
            const SocketRef ref{owner->pid, owner->fd, k.inode, roles.role_of(k.state, k.local), k.state, k.local, k.peer};
            if (listening) targeted_listeners.push_back({ref, 0, 0});
            else connections_settled = true;
            PreparedSocket s;
            s.cookie = k.cookie;
            s.netns = ns;
            s.timer = static_cast<std::uint8_t>(k.timer);
            s.expires_ms = static_cast<std::uint32_t>(std::uint64_t{k.timer_jiffies} * 1000 / m_it->hz());
            s.report.item = plan_socket(ref, exact_options_of(k.before, m_it->hz(), *defaults).options, p);
            judge_plan_pass(s.report, k, exact_options_of(k.after, m_it->hz(), *defaults).options);
            settle(std::move(s));
        });
        if (!r) return r;
        if (!known) whose = owners.get();  // a pass with no record at all
        if (!whose) return {};
        if (listener_after)
            out.notes.push_back("a listener was shown after connections in the BPF pass: those connections' roles "
                                "come from the listeners shown before them");
        std::set<std::uint32_t> targeted;
        for (const auto& l : targeted_listeners) targeted.insert(l.ref.inode);
        std::vector<PreparedSocket> queued;
        for (const auto& l : targeted_listeners)
            for (const auto& [q, k] : queued_connections(l, targeted, listeners, unaccepted, m_queued, out.notes)) {
                queued.push_back(planned(q.ref, *k, ns, *defaults, p));
                ++out.queued;
            }
        std::vector<PreparedSocket*> to_change;
        for (auto& s : queued)
            if (s.report.outcome == render::SocketOutcome::planned) to_change.push_back(&s);
        if (change && !to_change.empty()) change_in(t, to_change);
        for (auto& s : queued) settle(std::move(s));
        out.namespaces.push_back(std::move(t));
        return {};
    }

    static ChangeCounts counts_of(const Preparation& prep) {
        ChangeCounts c;
        for (const auto& s : prep.sockets) count_outcome(c, s.report.outcome);
        c.gone += prep.gone.size();
        return c;
    }

    // `ref` planned in user space from what the pass read of it (`k`, a record of namespace `ns`).
    template <class Record>
    PreparedSocket planned(const SocketRef& ref, const Record& k, std::uint32_t ns, const KeepaliveDefaults& defaults,
                           const Profile& p) const {
        PreparedSocket s;
        s.cookie = k.cookie;
        s.netns = ns;
        s.report.item = plan_socket(ref, exact_options_of(k, m_it->hz(), defaults).options, p);
        s.report.outcome = s.report.item.action == PlanAction::compliant ? render::SocketOutcome::compliant
                                                                         : render::SocketOutcome::planned;
        return s;
    }

    static render::SocketReport gone(const SocketRef& ref, const std::string& why) {
        render::SocketReport r;
        r.item.socket = ref;
        r.outcome = render::SocketOutcome::gone;
        r.before_read = false;
        r.error = Error{"socket " + std::to_string(ref.inode), why};
        return r;
    }

    // A socket of a pass by one key (inode or cookie), for undo's restores.
    struct SocketAt {
        std::uint64_t key = 0;
        const PassSocket* socket = nullptr;
    };
    using SocketsByKey = RecordIndex<SocketAt, &SocketAt::key>;

    // The sockets an apply pass reached, by cookie.
    using Reached = CookieIndex<AppliedSocket>;

    static Error write_error(const std::vector<OptionWrite>& writes, const AppliedSocket& k) {
        return setsockopt_error(k.writes_done < writes.size() ? socket_option_name(writes[k.writes_done].option) : "?",
                                static_cast<int>(k.write_errno));
    }

    std::expected<std::vector<NetnsView>, Errors> read_namespaces(const std::vector<std::int32_t>& pids,
                                                                 bool skip_missing = false) {
        return read_namespace_views(*m_it, pids, skip_missing);
    }

    // One apply pass for the namespace, then a rollback pass for sockets a write failed on.
    void change_in(const sys::NetnsTarget& ns, std::vector<PreparedSocket*>& sockets) {
        PassWrites writes;
        for (auto* s : sockets) {
            const auto& item = s->report.item;
            writes.add(s->cookie, write_sequence(item.before, item.after, item.socket.role == SocketRole::listener));
        }
        auto result = m_it->apply(ns, writes);
        if (!result) {
            for (auto* s : sockets) {
                s->report.outcome = render::SocketOutcome::failed;
                s->report.error = result.error();
            }
            return;
        }
        PassWrites rollbacks;
        std::vector<PreparedSocket*> rolled;
        const Reached reached(std::move(*result));
        for (std::size_t i = 0; i < sockets.size(); ++i) {
            auto& r = sockets[i]->report;
            const AppliedSocket* k = reached.find(writes.cookie(i));
            if (!k) {
                r.outcome = render::SocketOutcome::gone;
                r.error = Error{"socket", "closed before the BPF pass reached it"};
                continue;
            }
            if (k->writes_done == writes.writes(i).size()) {
                r.outcome = render::SocketOutcome::changed;
                continue;
            }
            r.outcome = render::SocketOutcome::failed;
            r.error = write_error(writes.writes(i), *k);
            auto back = rollback_sequence(r.item.before, writes.writes(i), k->writes_done);
            if (back.empty()) continue;
            rollbacks.add(writes.cookie(i), back);
            rolled.push_back(sockets[i]);
        }
        if (!rolled.empty()) {
            auto back = m_it->apply(ns, rollbacks);
            const Reached put_back = back ? Reached(std::move(*back)) : Reached{};
            for (std::size_t i = 0; i < rolled.size(); ++i) {
                const AppliedSocket* k = put_back.find(rollbacks.cookie(i));
                if (k && k->writes_done == rollbacks.writes(i).size())
                    rolled[i]->report.outcome = render::SocketOutcome::rolled_back;
                else
                    rolled[i]->report.error->why += "; putting it back failed too";
            }
        }
        // Each record of the apply pass was read under the socket's lock after its writes:
        // what the kernel holds now, checked without another pass.
        auto defaults = sys::read_keepalive_defaults(ns);
        if (!defaults) return;
        for (std::size_t i = 0; i < sockets.size(); ++i) {
            auto& r = sockets[i]->report;
            if (r.outcome != render::SocketOutcome::changed) continue;
            const auto have = exact_options(*reached.find(writes.cookie(i)), m_it->hz(), *defaults).options;
            if (!(have == r.item.after)) {
                r.outcome = render::SocketOutcome::failed;
                r.error = Error{"verification", "the kernel shows other values after the pass"};
            }
        }
    }

    std::unique_ptr<sys::SocketIterator> m_it;
    std::set<std::uint64_t> m_queued;
    std::future<std::expected<std::vector<NetnsView>, Errors>> m_prefetch;
    std::optional<std::expected<std::vector<NetnsView>, Errors>> m_pass;  // m_prefetch's, once waited for
    std::optional<PassTargets> m_targets;  // what find_in_pass() kept of m_pass for prepare()

    // The prefetched pass, once.
    std::optional<std::expected<std::vector<NetnsView>, Errors>> prefetched() {
        if (!m_pass && m_prefetch.valid()) m_pass = m_prefetch.get();
        auto pass = std::move(m_pass);
        m_pass.reset();
        return pass;
    }
};
}  // namespace

std::unique_ptr<SocketEngine> make_bpf_engine(std::unique_ptr<sys::SocketIterator> iterator) {
    return std::make_unique<BpfEngine>(std::move(iterator));
}

}  // namespace kt::engine
