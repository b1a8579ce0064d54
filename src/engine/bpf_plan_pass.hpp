// What the BPF engine makes of a plan pass's records: each target's report from what the
// kernel did, and the connections waiting in the targeted listeners' accept queues. Pure: the
// records are values, so that each outcome the kernel can report is tested without a kernel.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/socket/kernel_socket.hpp"
#include "engine/bpf_pass_targets.hpp"
#include "engine/socket_engine.hpp"

namespace kt::engine {

// What the plan pass did to a socket (`k`, with `have` its options read after the writes),
// against the plan made in user space from the same values (`r.item`): both follow one rule
// (kt_burst_free_writes), so a difference is a fault, not a choice. Sets r.outcome and r.error.
void judge_plan_pass(render::SocketReport& r, const PlannedSocket& k, const SocketOptions& have);

void count_outcome(ChangeCounts& c, render::SocketOutcome o);

// A bpf_setsockopt of `option` that failed with `error`, in either kind of pass.
Error setsockopt_error(const char* option, int error);

// A connection on `local` waits in the accept queue of a listener on `listener`.
bool same_listening_address(const Endpoint& listener, const Endpoint& local);

// The connections of `queued` waiting in listener `l`'s accept queue, each as a socket of l's
// process with the record it came from, unless listeners not among `targeted` share l's port
// (SO_REUSEPORT): they have queues of their own, and which one a connection waits in cannot be
// told, so all are left (with a note in `notes`). A connection in `taken` already is not given
// again, and each given is added to it.
std::vector<std::pair<sys::FoundSocket, const PassSocket*>> queued_connections(
    const sys::FoundSocket& l, const std::set<std::uint32_t>& targeted, const std::vector<PassSocket>& listeners,
    const std::vector<PassSocket>& queued, std::set<std::uint64_t>& taken, std::vector<std::string>& notes);

}  // namespace kt::engine
