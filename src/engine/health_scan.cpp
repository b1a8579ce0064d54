#include "engine/health_scan.hpp"

#include <deque>
#include <unordered_map>

#include "core/socket/keepalive_observed.hpp"
#include "core/socket/kernel_socket.hpp"
#include "engine/engine_choice.hpp"
#include "engine/inspect_sink.hpp"
#include "sys/diag_client.hpp"
#include "sys/files.hpp"
#include "sys/health_facts.hpp"
#include "sys/netns_identity.hpp"
#include "sys/profile_store.hpp"
#include "sys/socket_access.hpp"
#include "sys/socket_owners.hpp"

namespace kt::engine {

namespace {
// Only the states `health` judges, within what --state allows.
constexpr StateMask k_connected_states = k_all_states & ~(state_bit(TcpState::listen) | state_bit(TcpState::time_wait) |
                                                          state_bit(TcpState::syn_recv) | state_bit(TcpState::new_syn_recv) |
                                                          state_bit(TcpState::close));

struct Validated {
    InspectQuery query;
    NetworkPath path;
    std::vector<PathRule> rules;
};

std::expected<Validated, Errors> validate(const HealthOptions& o) {
    Validated v;
    Errors problems;
    InspectFlags flags = o.flags;
    flags.states_given = o.states_given && o.states_given();
    if (auto q = build_inspect_query(flags))
        v.query = *q;
    else
        problems.push_back(q.error());
    if (!flags.states_given) v.query.states = k_connected_states;
    v.query.states &= k_connected_states;
    if (v.query.states == 0 && problems.empty())
        problems.push_back({"--state", "health judges connected sockets only (not listening, time-wait or syn-recv)"});
    if (v.query.roles & role_bit(SocketRole::listener) && !flags.roles.empty() &&
        v.query.roles == role_bit(SocketRole::listener))
        problems.push_back({"--role listener", "listeners are not connections: health judges accepted and upstream ones"});
    for (const auto& list : o.path_lists) {
        auto p = parse_path_list(list, "--path", middlebox_catalogue());
        if (p)
            v.path.insert(v.path.end(), p->begin(), p->end());
        else
            problems.insert(problems.end(), p.error().begin(), p.error().end());
    }
    if (!o.paths_file.empty()) {
        auto text = sys::read_text_file(o.paths_file, 1 << 20);
        auto rules = text ? parse_paths_file(*text, o.paths_file, middlebox_catalogue())
                          : std::expected<std::vector<PathRule>, Errors>(std::unexpected(Errors{text.error()}));
        if (rules)
            v.rules = std::move(*rules);
        else
            problems.insert(problems.end(), rules.error().begin(), rules.error().end());
    }
    if (!o.profile.empty()) {
        auto p = sys::load_profile(o.profile, sys::default_profile_dirs(o.profile_dirs));
        if (p) {
            auto hops = path_of_ids(p->path, middlebox_catalogue());
            v.path.insert(v.path.end(), hops.begin(), hops.end());
        } else {
            problems.insert(problems.end(), p.error().begin(), p.error().end());
        }
    }
    if (!problems.empty()) return std::unexpected(problems);
    return v;
}

// Where each socket of one namespace's dump or iterator pass goes.
class HealthSink : public SocketSink {
public:
    struct Shared {
        const InspectQuery& query;
        const sys::SocketOwnerIndex* only_owned;  // --pid/--comm: other processes' sockets are left out
        const std::vector<PathRule>& rules;
        const HealthRequest& request;
        HealthScan& scan;
        std::vector<std::pair<std::uint32_t, HealthVerdict>>& every;  // inode and verdict of each judged connection
        std::vector<const NetworkPath*>& kept_paths;                  // parallel to scan.connections
    };

    // `paths` holds this namespace's path for connections no rule matches, then one per rule.
    HealthSink(const Shared& shared, const ListenerIndex& listeners, const NetworkPath* paths,
               const sys::NetnsHealthFacts& facts, NetnsHealth& ns)
        : m(shared), m_listeners(listeners), m_paths(paths), m_facts(facts), m_ns(ns) {}

    // A dumped socket: its tcp_info, and the values the netns sysctls would give it.
    void on_socket(const SocketRecord& dumped) override { judge(dumped, std::nullopt); }

    // `exact`: the values the socket has, where the reader could see them (the iterator).
    void judge(const SocketRecord& s, const std::optional<SocketOptions>& exact) {
        if (!judged_state(s.state)) return;
        if (is_orphan(s)) {
            // Not judged, but still an accepted connection in its TCP state on its port.
            ++m_ns.orphans;
            if (m.request.count_ports && s.state < 16 && m_listeners.role_of(s) == SocketRole::accepted)
                ++m_ports[s.local.port][s.state];
            return;
        }
        const SocketRole role = m_listeners.role_of(s);
        if (!(m.query.roles & role_bit(role))) return;
        if (!m.query.keepalive_matches(observe_keepalive(s))) return;
        if (!m.query.idle_matches(s)) return;
        if (m.only_owned && !m.only_owned->find(s.inode)) return;
        const PathRule* rule = m.rules.empty() ? nullptr : match_path(m.rules, s.peer.address);
        const NetworkPath& path = m_paths[rule ? static_cast<std::size_t>(rule - m.rules.data()) + 1 : 0];
        HealthJudgement j = judge_connection(s, {&path, exact ? &*exact : nullptr, m_facts.defaults});
        m_ns.destinations.count(destination_of(s, role), j.verdict);
        ++m_ns.counts[j.verdict];
        m.every.emplace_back(s.inode, j.verdict);
        if (m.request.count_ports && role == SocketRole::accepted && s.state < 16) ++m_ports[s.local.port][s.state];
        if (!(m.request.keep_verdicts & verdict_bit(j.verdict))) return;
        JudgedConnection k;
        k.record = s;
        k.exact = exact;
        k.role = role;
        k.netns = m_ns.label;
        // The hop lives in this run's paths; the kept connection outlives them.
        if (j.hop) k.hop = *j.hop;
        j.hop = nullptr;
        k.judgement = std::move(j);
        m.scan.report.connections.push_back(std::move(k));
        m.kept_paths.push_back(&path);
    }

    void finish() {
        for (auto& [port, states] : m_ports) m_ns.ports.emplace_back(port, states);
        std::sort(m_ns.ports.begin(), m_ns.ports.end());
    }

private:
    const Shared& m;
    const ListenerIndex& m_listeners;
    const NetworkPath* m_paths;
    const sys::NetnsHealthFacts& m_facts;
    NetnsHealth& m_ns;
    std::unordered_map<std::uint16_t, std::array<std::uint64_t, 16>> m_ports;
};

// One namespace: its facts, its listeners (for roles), then the judged dump. Its paths are
// appended to `paths` (a deque: what the kept connections point to stays where it is).
Result<void> scan_netns(const Validated& v, const HealthSink::Shared& shared, const sys::NetnsTarget& target,
                        NetnsHealth& ns, std::deque<std::vector<NetworkPath>>& paths, sys::NetnsHealthFacts& facts,
                        sys::SocketIterator* iterator) {
    facts = sys::read_health_facts(target);
    if (facts.conntrack_timeout_ms) ns.conntrack = PathHop{"host-conntrack", *facts.conntrack_timeout_ms, true};
    // The path for connections no rule matches, then one per rule; each ends with this
    // namespace's conntrack, which every connection of the namespace crosses.
    auto& mine = paths.emplace_back();
    mine.push_back(v.path);
    for (const auto& r : v.rules) mine.push_back(r.path);
    if (ns.conntrack)
        for (auto& p : mine) p.push_back(*ns.conntrack);

    auto socket = sys::open_diag_socket_in(target);
    if (!socket) return std::unexpected(socket.error());
    ListenerIndex listeners;
    ListenerSink listener_sink(listeners);
    if (auto r = socket->dump({v.query.family, state_bit(TcpState::listen), {}, false}, listener_sink); !r)
        return std::unexpected(r.error());
    HealthSink sink(shared, listeners, mine.data(), facts, ns);
    if (iterator) {
        // The iterator's pass alone: each socket with what tcp_info would say of it and the
        // values it has, judged as it is read, so a namespace is walked once and never held.
        const std::uint32_t hz = iterator->hz();
        const KeepaliveDefaults defaults{facts.defaults.keepalive_time_s, facts.defaults.keepalive_intvl_s,
                                         facts.defaults.keepalive_probes};
        auto pass = iterator->each(target, sys::SocketIterator::Fields::all, [&](const KernelSocket& k) {
            if (!(v.query.states & state_bit(static_cast<TcpState>(k.state)))) return;
            if (v.query.family != 0 && k.family != v.query.family) return;
            const SocketRecord s = socket_record_of(k, hz);
            if (!v.query.kernel.matches(s)) return;
            sink.judge(s, exact_options(k, hz, defaults).options);
        });
        if (!pass) return std::unexpected(pass.error());
        sink.finish();
        return {};
    }
    const sys::DumpRequest request{v.query.family, v.query.states, compile_bytecode(v.query.kernel), true};
    auto progress = socket->dump(request, sink);
    sink.finish();
    if (!progress) return std::unexpected(progress.error());
    if (progress->interrupted)
        shared.scan.warnings.push_back({"netns " + ns.label,
                                        "the socket table changed during the dump (NLM_F_DUMP_INTR); counts may be off by a few"});
    return {};
}

// Owners of every judged connection (the /proc scan is paid only when something is not ok,
// or reap needs them), then the kept ones judged again with their own values where the
// verdict depends on them: retransmitting (TCP_USER_TIMEOUT) and probing (the count).
void add_owners(HealthScan& scan, const sys::OwnerScan& owners,
                const std::vector<std::pair<std::uint32_t, HealthVerdict>>& every,
                const std::vector<const NetworkPath*>& kept_paths, const std::vector<KernelDefaults>& defaults_of_kept) {
    auto& report = scan.report;
    report.owners_looked_up = true;
    for (const auto& [inode, verdict] : every) {
        const auto* owner = owners.index.find(inode);
        report.rollup.count_owner(owner ? owner->pid : 0, owner ? owners.index.comm(owner->pid) : "", verdict);
    }
    for (std::size_t i = 0; i < report.connections.size(); ++i) {
        auto& k = report.connections[i];
        const auto* owner = owners.index.find(k.record.inode);
        if (!owner) continue;
        k.pid = owner->pid;
        k.fd = owner->fd;
        k.comm = std::string(owners.index.comm(owner->pid));
        const auto v = k.judgement.verdict;
        if ((v == HealthVerdict::retransmitting || v == HealthVerdict::probing) && !k.exact) {
            auto dup = sys::duplicate_socket(k.pid, k.fd, k.record.inode);
            auto exact = dup ? sys::read_socket_options(dup->get()) : Result<SocketOptions>(std::unexpected(dup.error()));
            if (exact) {
                k.exact = *exact;
                k.judgement = judge_connection(k.record, {kept_paths[i], &*k.exact, defaults_of_kept[i]});
                k.hop.reset();
                if (k.judgement.hop) k.hop = *k.judgement.hop;
                k.judgement.hop = nullptr;
            }
        }
        if (v == HealthVerdict::peer_closed)
            report.rollup.peer_closed(k.record, destination_of(k.record, k.role), k.pid, k.comm);
    }
}
}  // namespace

std::expected<HealthScan, Errors> scan_health(const HealthRequest& request) {
    const HealthOptions& o = *request.options;
    auto v = validate(o);
    if (!v) return std::unexpected(v.error());

    std::unique_ptr<sys::SocketIterator> loaded;
    sys::SocketIterator* iterator = request.iterator;
    if (!iterator) {
        auto engine = open_engine(o.engine, Fallback::quiet);
        if (!engine) return std::unexpected(Errors{engine.error()});
        loaded = std::move(*engine);
        iterator = loaded.get();
    }

    HealthScan scan;
    scan.engine = iterator ? "bpf" : "pidfd";
    scan.report.path = v->path;
    scan.report.top = o.top;
    std::unique_ptr<sys::OwnerScan> owners;
    if (!o.pids.empty() || !o.comms.empty()) {
        owners = std::make_unique<sys::OwnerScan>(sys::scan_socket_owners({"/proc", o.pids, o.comms}));
        if (!owners->problems.empty()) return std::unexpected(owners->problems);
    }
    std::vector<sys::NetnsTarget> targets;
    const bool netns_given = !o.netns.empty() || o.netns_of || o.all_netns || !o.pod.empty() || !o.container.empty();
    if (!netns_given && owners) {
        targets = sys::namespaces_of(owners->selected, scan.warnings);
        sys::identify_namespaces(targets);
    } else {
        auto chosen = sys::select_netns({o.netns, o.netns_of, o.all_netns, o.pod, o.container}, scan.warnings);
        if (!chosen) return std::unexpected(Errors{chosen.error()});
        targets = std::move(*chosen);
    }

    std::vector<std::pair<std::uint32_t, HealthVerdict>> every;
    std::vector<const NetworkPath*> kept_paths;
    std::vector<KernelDefaults> defaults_of_kept;
    std::deque<std::vector<NetworkPath>> paths;
    const HealthSink::Shared shared{v->query, owners ? &owners->index : nullptr, v->rules, request, scan, every, kept_paths};
    bool entered_any = false;
    for (const auto& t : targets) {
        NetnsHealth ns{t.label, t.inode, {}, {}, {}, {}, t.identity, 0, {}};
        sys::NetnsHealthFacts facts;
        auto r = scan_netns(*v, shared, t, ns, paths, facts, iterator);
        if (!r) {
            if (targets.size() == 1) return std::unexpected(Errors{r.error()});
            ns.error = r.error().line();
            scan.warnings.push_back(r.error());
        } else {
            entered_any = true;
        }
        // The node's roll-up is the namespaces' summed (a failed scan counted nothing).
        scan.report.rollup.add_destinations(ns.destinations);
        defaults_of_kept.resize(scan.report.connections.size(), facts.defaults);
        scan.report.netns.push_back(std::move(ns));
        scan.targets.push_back(t);
    }
    if (!entered_any) return std::unexpected(scan.warnings);

    const auto& totals = scan.report.rollup.totals();
    const bool need_owners =
        request.always_look_up_owners || (request.look_up_owners && totals.total() != totals[HealthVerdict::ok]);
    if (need_owners) {
        // With --pid or --comm the selection's scan read only the chosen processes, which own
        // every connection judged.
        if (!owners) owners = std::make_unique<sys::OwnerScan>(sys::scan_socket_owners({"/proc", {}, {}}));
        if (owners->unreadable > 0)
            scan.warnings.push_back({"owners", sys::unreadable_owners_text(*owners) +
                                                   ", so their connections show no owner" +
                                                   sys::refusal_hint("reading other users' processes needs CAP_SYS_PTRACE")});
        add_owners(scan, *owners, every, kept_paths, defaults_of_kept);
    }
    return scan;
}

}  // namespace kt::engine
