// `keepalive-tune inspect`: every TCP socket with its keepalive state, through sock_diag.
#include <fcntl.h>
#include <signal.h>

#include <memory>
#include <future>
#include <thread>

#include "cli/command.hpp"
#include "cli/container_options.hpp"
#include "cli/engine_option.hpp"
#include "engine/engine_choice.hpp"
#include "cli/number_option.hpp"
#include "engine/fd_sink.hpp"
#include "engine/inspect_sink.hpp"
#include "render/inspect_summary_view.hpp"
#include "render/netns_identity_view.hpp"
#include "sys/diag_client.hpp"
#include "sys/files.hpp"
#include "sys/netns.hpp"
#include "sys/netns_identity.hpp"
#include "sys/output.hpp"
#include "sys/unique_fd.hpp"

namespace kt::cli {

namespace {
struct InspectOptions {
    InspectFlags flags;
    const CLI::Option* state_option = nullptr;
    const CLI::App* command = nullptr;
    bool processes = false;
    std::vector<std::int32_t> pids;
    std::vector<std::string> comms;
    bool exact = false;
    std::string engine = "auto";
    bool idle = false;
    std::string netns;
    std::int32_t netns_of = 0;
    bool all_netns = false;
    std::string pod;
    std::string container;
    bool summary = false;
    std::string dump_raw;
    std::string replay;
};

class RawFileObserver : public sys::ChunkObserver {
public:
    explicit RawFileObserver(sys::UniqueFd fd, std::string path) : m_fd(std::move(fd)), m_path(std::move(path)) {}
    Result<void> on_chunk(std::span<const std::uint8_t> bytes) override {
        std::size_t done = 0;
        while (done < bytes.size()) {
            const ssize_t n = ::write(m_fd.get(), bytes.data() + done, bytes.size() - done);
            if (n < 0) {
                if (errno == EINTR) continue;
                return fail("--dump-raw " + m_path, sys::errno_text(errno));
            }
            done += static_cast<std::size_t>(n);
        }
        return {};
    }

private:
    sys::UniqueFd m_fd;
    std::string m_path;
};

nlohmann::json netns_json(const sys::NetnsTarget& t, const std::string& error) {
    nlohmann::json out{{"label", t.label},
                       {"inode", t.inode},
                       {"pid", t.pid ? nlohmann::json(t.pid) : nlohmann::json()},
                       {"comm", t.comm.empty() ? nlohmann::json() : nlohmann::json(t.comm)},
                       {"error", error.empty() ? nlohmann::json() : nlohmann::json(error)}};
    render::add_identity_json(out, t.identity);
    return out;
}

Error interrupted_warning(const std::string& netns) {
    return {"netns " + netns,
            "the socket table changed during the dump (NLM_F_DUMP_INTR); the listing may miss or repeat sockets"};
}

// Every socket's exact values in `target`, by cookie (the key sock_diag reports too).
Result<ExactValues> read_exact_values(sys::SocketIterator& iterator, const sys::NetnsTarget& target) {
    auto defaults = sys::read_keepalive_defaults(target);
    if (!defaults) return std::unexpected(defaults.error());
    auto records = iterator.read_options(target);
    if (!records) return std::unexpected(records.error());
    return ExactValues{CookieIndex<SocketOptionsRecord>(std::move(*records)), iterator.hz(), *defaults};
}

CommandResult run_inspect(const GlobalOptions& g, InspectOptions& o) {
    o.flags.states_given = o.state_option && o.state_option->count() > 0;
    auto query = build_inspect_query(o.flags);
    if (!query) return std::unexpected(Errors{query.error()});
    if (!o.replay.empty() && (!o.netns.empty() || o.netns_of || o.all_netns || !o.pod.empty() || !o.container.empty()))
        return std::unexpected(Errors{{"--replay", "reads a saved dump; it cannot be combined with --netns options"}});
    if (!o.replay.empty() && (o.processes || !o.pids.empty() || !o.comms.empty() || o.exact))
        return std::unexpected(Errors{{"--replay", "cannot be combined with -p, --pid, --comm or --exact, which read the live system"}});
    if (!o.replay.empty() && !o.dump_raw.empty())
        return std::unexpected(Errors{{"--replay and --dump-raw", "give at most one of them"}});
    if (!o.dump_raw.empty() && o.all_netns)
        return std::unexpected(Errors{{"--dump-raw", "saves one namespace's dump; use --netns instead of --all-netns"}});
    if (o.idle && o.summary)
        return std::unexpected(Errors{{"--idle", "adds per-socket columns; it has no effect with --summary"}});
    if (o.exact && o.summary)
        return std::unexpected(Errors{{"--exact", "adds per-socket columns; it has no effect with --summary"}});

    if (o.command->get_option("--engine")->count() > 0 && !o.exact)
        return std::unexpected(Errors{{"--engine", "chooses how --exact reads socket options; give --exact too"}});
    std::unique_ptr<sys::SocketIterator> iterator, iterator_for_owners;
    // The BPF programs load (libbpf parsing the kernel's BTF) while the first dump runs; should
    // they not load, everything starts again with the pidfd engine before anything is printed.
    std::future<Result<std::unique_ptr<sys::SocketIterator>>> loading;
    if (o.exact) {
        if (auto c = engine::check_engine_choice(o.engine); !c) return std::unexpected(Errors{c.error()});
        // The options program, and the task-file program only where -p will use it.
        using It = sys::SocketIterator;
        const unsigned programs = It::options | (o.processes ? It::owners : 0u);
        if (o.engine != "pidfd")
            loading = std::async(std::launch::async, [programs] { return sys::SocketIterator::load(programs); });
    }
    bool fall_back = false;
    std::optional<Error> engine_error;  // --engine bpf that did not load: the command's error
    auto resolve_engine = [&]() -> Result<void> {
        if (!loading.valid()) return {};
        auto decided = engine::decide_engine(o.engine, loading.get());
        if (!decided) {
            engine_error = decided.error();
            return std::unexpected(decided.error());
        }
        iterator = std::move(*decided);
        fall_back = !iterator;
        return {};
    };
    const bool owners_asked = o.processes || !o.pids.empty() || !o.comms.empty();
    if (owners_asked)
        if (auto r = resolve_engine(); !r) return std::unexpected(Errors{r.error()});
    if (fall_back) {
        o.engine = "pidfd";
        return run_inspect(g, o);
    }

    // One /proc scan serves every netns: socket inodes are unique system-wide. The BPF engine
    // reads exact values without the owners.
    const bool need_owners = owners_asked || (o.exact && !iterator && !loading.valid());
    std::unique_ptr<sys::OwnerScan> owners;
    if (need_owners) {
        // Every process's sockets (-p) in one BPF task-file pass where BPF loads; --pid and
        // --comm read only their processes' fds, which is cheap either way.
        if (o.processes && o.pids.empty() && o.comms.empty()) {
            if (!iterator)
                if (auto loaded = sys::SocketIterator::load(sys::SocketIterator::owners))
                    iterator_for_owners = std::move(*loaded);
            sys::SocketIterator* it = iterator ? iterator.get() : iterator_for_owners.get();
            if (it)
                if (auto files = it->socket_files()) owners = std::make_unique<sys::OwnerScan>(sys::owner_scan_of(*files));
        }
        if (!owners) owners = std::make_unique<sys::OwnerScan>(sys::scan_socket_owners({"/proc", o.pids, o.comms}));
        if (!owners->problems.empty()) return std::unexpected(owners->problems);
    }

    Errors warnings;
    std::vector<sys::NetnsTarget> targets;
    const bool netns_given = !o.netns.empty() || o.netns_of || o.all_netns || !o.pod.empty() || !o.container.empty();
    if (!o.replay.empty()) {
        targets.push_back(sys::NetnsTarget{"replay", "", 0, 0, ""});
    } else if (!netns_given && owners && !owners->selected.empty()) {
        targets = sys::namespaces_of(owners->selected, warnings);
        sys::identify_namespaces(targets);
    } else {
        auto chosen = sys::select_netns({o.netns, o.netns_of, o.all_netns, o.pod, o.container}, warnings);
        if (!chosen) return std::unexpected(Errors{chosen.error()});
        targets = std::move(*chosen);
    }
    const bool elsewhere = targets.size() > 1 || (targets.size() == 1 && !targets[0].path.empty());

    std::unique_ptr<RawFileObserver> raw;
    if (!o.dump_raw.empty()) {
        sys::UniqueFd fd(::open(o.dump_raw.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
        if (!fd) return std::unexpected(Errors{{"--dump-raw " + o.dump_raw, sys::errno_text(errno)}});
        raw = std::make_unique<RawFileObserver>(std::move(fd), o.dump_raw);
    }

    // SIGPIPE would kill us mid-table on `| head`; FdSink stops writing instead.
    ::signal(SIGPIPE, SIG_IGN);
    engine::FdSink stdout_sink(1);
    render::ChunkWriter out(stdout_sink);
    const engine::InspectOutput mode = o.summary ? engine::InspectOutput::summary : g.json ? engine::InspectOutput::json : engine::InspectOutput::table;
    render::SocketTable table(out, {elsewhere || o.all_netns || !o.netns.empty() || o.netns_of != 0, need_owners, o.exact,
                                    o.idle});
    engine::InspectSinkConfig config{&*query, mode, owners ? &owners->index : nullptr, !o.pids.empty() || !o.comms.empty(),
                             need_owners, o.exact, o.idle, !o.replay.empty(), &out, &table};
    engine::InspectSink sink(config);
    ExactValues kernel_exact;

    // Nothing reaches stdout until a dump has started, so a bad --netns or --replay leaves
    // only the error line.
    bool started = false;
    auto start_output = [&] {
        if (started) return;
        started = true;
        if (mode == engine::InspectOutput::table) table.header();
        if (mode == engine::InspectOutput::json) out.put("{\"schema\":\"keepalive-tune.inspect.v1\",\"sockets\":[\n");
    };
    std::string replay_bytes;
    if (!o.replay.empty()) {
        auto bytes = sys::read_text_file(o.replay, std::size_t{1} << 31);
        if (!bytes) return std::unexpected(Errors{bytes.error()});
        replay_bytes = std::move(*bytes);
    }

    nlohmann::json netns_list = nlohmann::json::array();
    nlohmann::json summaries = nlohmann::json::array();
    std::string summary_text;
    const sys::DumpRequest request{query->family, query->states, compile_bytecode(query->kernel),
                                   o.idle || query->idle_filtered()};
    bool entered_any = false;
    bool complete = true;  // false when a streamed dump was interrupted (NLM_F_DUMP_INTR)

    for (const auto& target : targets) {
        std::string error;
        auto dump_one = [&]() -> Result<void> {
            if (!o.replay.empty()) {
                sink.begin_netns(target.label, false);
                // A truncated file is found before anything is printed.
                engine::InspectSinkConfig dry = config;
                dry.output = engine::InspectOutput::summary;
                engine::InspectSink check(dry);
                const std::span<const std::uint8_t> bytes{reinterpret_cast<const std::uint8_t*>(replay_bytes.data()),
                                                          replay_bytes.size()};
                if (auto r = sys::replay_dump(bytes, check); !r)
                    return fail(o.replay, "not a reply saved with --dump-raw (" + r.error().why + ")");
                start_output();
                auto progress = sys::replay_dump(bytes, sink);
                if (!progress) return std::unexpected(progress.error());
                return {};
            }
            auto socket = sys::open_diag_socket_in(target);
            if (!socket) return std::unexpected(socket.error());
            // With BPF, the iterator pass and the sock_diag dump walk the socket table at the
            // same time on two threads; the dump's records wait in memory until the pass has
            // the values (a socket that appears in between shows '-'). Where listeners come
            // first in the dump itself, rows are written as soon as the values are there.
            engine::RecordBuffer buffered;
            bool handed_over = false;
            if (iterator || loading.valid()) {
                const bool stream = !query->needs_listener_pass();
                engine::ExactHandover handover(sink, [&] {
                    start_output();
                    sink.begin_netns(target.label, false);
                });
                Result<void> resolved;
                Result<void> passed;
                std::thread pass([&] {
                    resolved = resolve_engine();
                    if (!resolved || !iterator) return;
                    auto values = read_exact_values(*iterator, target);
                    if (!values) {
                        passed = std::unexpected(values.error());
                        return;
                    }
                    kernel_exact = std::move(*values);
                    sink.set_kernel_exact(&kernel_exact);
                    if (stream) handover.values_ready();
                });
                auto progress = socket->dump(request, stream ? static_cast<SocketSink&>(handover) : buffered, raw.get());
                pass.join();
                if (!resolved) return std::unexpected(resolved.error());
                if (fall_back) return fail("--exact", "the BPF engine did not load");
                if (!passed) return std::unexpected(passed.error());
                if (!progress) return std::unexpected(progress.error());
                if (stream) {
                    handover.finish();
                    handed_over = true;
                }
                buffered.interrupted = progress->interrupted;
            }
            if (handed_over) {
                if (buffered.interrupted) {
                    complete = false;
                    warnings.push_back(interrupted_warning(target.label));
                }
                return {};
            }
            start_output();
            sink.begin_netns(target.label, query->needs_listener_pass());
            if (query->needs_listener_pass()) {
                engine::ListenerSink listeners(sink.listeners());
                sink.listeners().clear();
                auto pass = socket->dump({query->family, state_bit(TcpState::listen), {}}, listeners);
                if (!pass) return std::unexpected(pass.error());
            }
            // A dump the table changed under (NLM_F_DUMP_INTR) is retried while nothing has
            // been printed from it; a streamed table or JSON can only warn.
            for (int attempt = 1;; ++attempt) {
                bool interrupted = buffered.interrupted;
                if (iterator) {
                    buffered.replay(sink);
                } else {
                    auto progress = socket->dump(request, sink, raw.get());
                    if (!progress) return std::unexpected(progress.error());
                    interrupted = progress->interrupted;
                }
                if (!interrupted) break;
                if (mode == engine::InspectOutput::summary && attempt < 3) {
                    sink.reset_summary();
                    continue;
                }
                complete = false;
                warnings.push_back(interrupted_warning(target.label));
                break;
            }
            return {};
        };
        auto r = dump_one();
        if (engine_error) return std::unexpected(Errors{*engine_error});
        if (fall_back) {
            o.engine = "pidfd";
            return run_inspect(g, o);
        }
        if (!r) {
            // With one namespace asked for by name, failing to read it is the command's error.
            if (targets.size() == 1) return std::unexpected(Errors{r.error()});
            error = r.error().line();
            warnings.push_back(r.error());
        } else {
            entered_any = true;
        }
        netns_list.push_back(netns_json(target, error));
        if (mode == engine::InspectOutput::summary && error.empty()) {
            summaries.push_back(render::inspect_summary_json(sink.summary(), target.label, target.inode));
            summary_text += render::inspect_summary_text(sink.summary(), target.label, target.pid, target.comm);
        }
    }
    if (!entered_any) return std::unexpected(warnings);
    start_output();

    if (owners && owners->unreadable > 0)
        warnings.push_back({"-p", sys::unreadable_owners_text(*owners) + ", so their sockets show no owner" +
                                      (o.exact ? " and no exact values" : "") +
                                      sys::refusal_hint("reading other users' processes needs CAP_SYS_PTRACE")});
    else if (owners && sink.unowned() > 0)
        // Every visible process was read: the holder is outside this pid namespace (a container
        // runtime, the host) or the socket's file is held only by the kernel.
        warnings.push_back({"-p", std::to_string(sink.unowned()) +
                                      " socket(s) shown with owner '-' are held by no process this pid namespace shows "
                                      "(a process in another pid namespace, such as the host or a container runtime)"});
    const auto& exact = sink.exact_report();
    if (exact.failed > 0)
        warnings.push_back({"--exact", "could not read the options of " + std::to_string(exact.failed) + " socket(s), " +
                                           "shown as '-': " + exact.first_reason});
    nlohmann::json warning_list = nlohmann::json::array();
    for (const auto& w : warnings) warning_list.push_back(w.line());

    if (mode == engine::InspectOutput::json) {
        out.put("\n],\"netns\":");
        out.put(netns_list.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
        out.put(",\"warnings\":");
        out.put(warning_list.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
        if (o.exact) out.put(std::string(",\"engine\":\"") + engine::engine_name(iterator) + "\"");
        out.put(complete ? ",\"complete\":true}\n" : ",\"complete\":false}\n");
    } else if (mode == engine::InspectOutput::summary) {
        if (g.json)
            out.put(nlohmann::json({{"schema", "keepalive-tune.inspect-summary.v1"},
                                    {"summary", summaries},
                                    {"netns", netns_list},
                                    {"warnings", warning_list}})
                        .dump(2, ' ', false, nlohmann::json::error_handler_t::replace) +
                    "\n");
        else
            out.put(summary_text);
    }
    if (mode == engine::InspectOutput::table) table.finish();
    out.flush();
    for (const auto& w : warnings) write_warning(w.line());
    return k_exit_ok;
}

void add_list_option(CLI::App& cmd, const char* name, std::vector<std::string>& into, const char* help) {
    cmd.add_option(name, into, help)->take_all()->allow_extra_args(false);
}
}  // namespace

void setup_inspect(CLI::App& cmd, const GlobalOptions& global, Dispatch& dispatch) {
    auto o = std::make_shared<InspectOptions>();
    auto& f = o->flags;
    cmd.add_option("--state", f.states, "states, comma-separated, named as ss(8) does, or all, connected, "
                                        "synchronized, bucket, big (default: listening and connected, "
                                        "without time-wait and syn-recv)");
    add_list_option(cmd, "--sport", f.sports, "local port or LO-HI range (repeatable: any may match)");
    add_list_option(cmd, "--dport", f.dports, "peer port or LO-HI range (repeatable)");
    add_list_option(cmd, "--port", f.ports, "local or peer port or LO-HI range (repeatable)");
    add_list_option(cmd, "--peer", f.peers, "peer address or CIDR (repeatable)");
    add_list_option(cmd, "--local", f.locals, "local address or CIDR (repeatable)");
    cmd.add_flag("-4,--ipv4", f.ipv4_only, "IPv4 sockets only");
    cmd.add_flag("-6,--ipv6", f.ipv6_only, "IPv6 sockets only (including IPv4-mapped)");
    cmd.add_option("--role", f.roles, "listener, accepted, upstream, comma-separated");
    cmd.add_option("--keepalive", f.keepalive, "on (timer armed), off (connected, no timer) or unknown "
                                               "(hidden by a retransmit or zero-window timer)");
    cmd.add_flag("-p,--processes", o->processes, "show the owning pid, fd and command name");
    as_pid(cmd.add_option("--pid", o->pids, "only sockets of this process (repeatable); scans only these"));
    cmd.add_option("--comm", o->comms, "only sockets of processes with this command name (repeatable)");
    cmd.add_flag("--idle", o->idle, "add idle times (since data received, data sent, ACK received), unacknowledged and "
                                    "retransmitted segments, from tcp_info (a costlier dump)");
    cmd.add_option("--idle-over", f.idle_over, "only connections idle longer than DURATION (90s, 5m, 350)");
    cmd.add_option("--idle-under", f.idle_under, "only connections idle less than DURATION");
    cmd.add_flag("--exact", o->exact,
                 "read configured SO_KEEPALIVE, idle, interval, count and user timeout of each socket: with BPF "
                 "(every socket; a value marked * is inherited from the netns sysctl) or getsockopt on a "
                 "pidfd_getfd copy (sockets of processes; needs CAP_SYS_PTRACE)");
    add_engine_option(cmd, o->engine);
    cmd.add_option("--netns", o->netns, "inspect network namespace NAME (/run/netns) or PATH");
    as_pid(cmd.add_option("--netns-of", o->netns_of, "inspect the network namespace of process PID"));
    cmd.add_flag("--all-netns", o->all_netns, "inspect every network namespace on the host");
    add_container_options(cmd, o->pod, o->container, "inspect");
    cmd.add_flag("--summary", o->summary, "counts by state, role, and keepalive among established sockets");
    cmd.add_option("--dump-raw", o->dump_raw, "also save the kernel's raw reply to FILE");
    cmd.add_option("--replay", o->replay, "read a reply saved with --dump-raw instead of asking the kernel");
    o->state_option = cmd.get_option("--state");
    o->command = &cmd;
    dispatch.on(&cmd, [&global, o] { return run_inspect(global, *o); });
}

}  // namespace kt::cli
