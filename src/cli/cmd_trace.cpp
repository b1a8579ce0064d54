// `keepalive-tune trace`: each TCP connection that ends badly, as it ends (keepalive-timeout,
// retransmit-timeout, reset-received, reset-sent, error), with its netns and owner; --all adds
// normal closes. BPF only: without it, exit 2 with the reason.
#include <memory>

#include "cli/command.hpp"
#include "cli/container_options.hpp"
#include "cli/number_option.hpp"
#include "engine/trace.hpp"

namespace kt::cli {

namespace {
// The ring buffer's size for a test that needs it to overflow: a power of two, one page or more.
constexpr std::uint64_t k_max_ring_bytes = 1u << 30;

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
    cmd.add_option("--comm", o->comms, "only connections a process of this name still held (repeatable)");
    cmd.add_option("--netns", o->netns.name, "the network namespace NAME (/run/netns) or PATH (default: this one)");
    as_pid(cmd.add_option("--netns-of", o->netns.pid, "the network namespace of process PID"));
    cmd.add_flag("--all-netns", o->netns.all, "every network namespace on the host");
    add_container_options(cmd, o->netns.pod, o->netns.container);
    cmd.add_option("--ring-bytes", *ring, "the ring buffer's size in bytes (a power of two; default 8 MiB)")
        ->check(whole_number(4096, k_max_ring_bytes))
        ->type_name("BYTES")
        ->group("");  // for tests that need it to overflow
    dispatch.on(&cmd, [&global, o, ring] { return run_trace(global, *o, *ring); });
}

}  // namespace kt::cli
