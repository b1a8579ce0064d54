// `keepalive-tune trace`: each TCP connection that ends badly, as it ends (keepalive-timeout,
// retransmit-timeout, reset-received, reset-sent, error), with its netns and owner; --all adds
// normal closes. BPF only: without it, exit 2 with the reason.
#include <memory>

#include "cli/command.hpp"
#include "cli/container_options.hpp"
#include "cli/number_option.hpp"
#include "engine/trace.hpp"
#include "sys/bpf_end_counters.hpp"
#include "sys/output.hpp"

namespace kt::cli {

namespace {
// The ring buffer's size for a test that needs it to overflow: a power of two, one page or more.
constexpr std::uint64_t k_max_ring_bytes = 1u << 30;

struct CounterAction {
    bool install = false;
    bool remove = false;
};

// --install-counters / --remove-counters: both leave the host as asked even when it already was.
CommandResult run_counters(const GlobalOptions& g, const CounterAction& a) {
    const std::string dir = sys::end_counters_dir();
    bool changed = false;
    std::string text;
    if (a.install) {
        auto r = sys::install_end_counters();
        if (!r) {
            auto e = r.error();
            e.what = "trace --install-counters: " + e.what;
            return std::unexpected(Errors{e});
        }
        changed = !r->already;
        text = r->already ? "connection-end counters already installed (" + dir + ")\n"
                          : "connection-end counters installed, pinned under " + dir +
                                ": `check --format prometheus` and the agent report keepalive_tune_connection_ends_total\n";
        if (r->mounted_bpffs) text += "mounted bpffs at /sys/fs/bpf\n";
    } else {
        auto r = sys::remove_end_counters();
        if (!r) {
            auto e = r.error();
            e.what = "trace --remove-counters: " + e.what;
            return std::unexpected(Errors{e});
        }
        changed = *r;
        text = *r ? "connection-end counters removed (" + dir + ")\n" : "no connection-end counters were installed\n";
    }
    if (g.json)
        write_json({{"schema", "keepalive-tune.trace-counters.v1"},
                    {"action", a.install ? "install" : "remove"},
                    {"changed", changed},
                    {"pin_dir", dir}});
    else
        write_out(text);
    return 0;
}

CommandResult run_trace(const GlobalOptions& g, engine::TraceOptions o, std::uint64_t ring_bytes) {
    if (ring_bytes != 0) {
        if (ring_bytes < 4096 || (ring_bytes & (ring_bytes - 1)) != 0)
            return std::unexpected(Errors{{"--ring-bytes", "must be a power of two of at least 4096"}});
        o.ring_bytes = static_cast<std::size_t>(ring_bytes);
    }
    const int chosen = !o.netns.name.empty() + (o.netns.pid != 0) + o.netns.all + !o.netns.pod.empty() +
                       !o.netns.container.empty();
    if (chosen > 1)
        return std::unexpected(Errors{{"trace", "give at most one of --netns, --netns-of, --all-netns, --pod, --container"}});
    o.json = g.json;
    return engine::run_trace(o);
}
}  // namespace

void setup_trace(CLI::App& cmd, const GlobalOptions& global, Dispatch& dispatch) {
    auto o = std::make_shared<engine::TraceOptions>();
    auto ring = std::make_shared<std::uint64_t>(0);
    cmd.add_option("--duration", o->duration, "stop after DURATION (30s, 5m; default: until SIGINT or SIGTERM)")
        ->type_name("DURATION");
    cmd.add_option("--count", o->count, "stop after N connection ends shown")->check(whole_number(1, 1u << 31))->type_name("N");
    cmd.add_flag("--all", o->all, "normal closes too (FIN), so that every connection's end is shown");
    cmd.add_flag("--summary", o->summary,
                 "print no line per end; at the end, counts by reason, by reason and destination, and by owner");
    cmd.add_option("--top", o->top, "with --summary: the N largest groups (default 10)")
        ->check(whole_number(1, k_max_top))
        ->type_name("N");
    cmd.add_option("--reason", o->reasons,
                   "only these reasons: keepalive-timeout, retransmit-timeout, reset-received, reset-sent, error, "
                   "closed (repeatable)")
        ->type_name("REASON");
    cmd.add_option("--port", o->ports, "only connections with this local or peer port or range (repeatable)")->type_name("PORT");
    cmd.add_option("--peer", o->peers, "only connections to this address or CIDR (repeatable)")->type_name("CIDR");
    as_pid(cmd.add_option("--pid", o->pids, "only connections this process still held when they ended (repeatable)"));
    cmd.add_option("--role", o->roles,
                   "only connections of these sides: accepted, upstream, listener, comma-separated (the programs "
                   "then note how each new connection is made)")
        ->type_name("ROLES");
    cmd.add_option("--comm", o->comms, "only connections a process of this name still held (repeatable)");
    cmd.add_option("--netns", o->netns.name, "the network namespace NAME (/run/netns) or PATH (default: this one)");
    as_pid(cmd.add_option("--netns-of", o->netns.pid, "the network namespace of process PID"));
    cmd.add_flag("--all-netns", o->netns.all, "every network namespace on the host");
    add_container_options(cmd, o->netns.pod, o->netns.container);
    cmd.add_option("--ring-bytes", *ring, "the ring buffer's size in bytes (a power of two; default 8 MiB)")
        ->check(whole_number(4096, k_max_ring_bytes))
        ->type_name("BYTES")
        ->group("");  // for tests that need it to overflow
    auto counters = std::make_shared<CounterAction>();
    auto install = cmd.add_flag("--install-counters", counters->install,
                                "load programs that count every connection's end by netns, reason and destination, and "
                                "pin them, so that check and the agent report keepalive_tune_connection_ends_total; "
                                "then exit");
    auto remove = cmd.add_flag("--remove-counters", counters->remove, "unpin the counting programs (they detach); then exit");
    install->excludes(remove);
    // The counters are the host's, whatever a trace would choose: no other option goes with
    // them. Checked here rather than with excludes(), which would print on every option's help.
    std::vector<const CLI::Option*> others;
    for (const CLI::Option* option : cmd.get_options())
        if (option != install && option != remove && option != cmd.get_help_ptr()) others.push_back(option);
    dispatch.on(&cmd, [&global, o, ring, counters, others] {
        if (counters->install || counters->remove) {
            for (const auto* option : others)
                if (option->count() > 0)
                    return CommandResult(std::unexpected(
                        Errors{{std::string(counters->install ? "--install-counters" : "--remove-counters") + " with " +
                                    option->get_name(),
                                "the counters are the host's: give it alone (or with --json)"}}));
            return run_counters(global, *counters);
        }
        return run_trace(global, *o, *ring);
    });
}

}  // namespace kt::cli
