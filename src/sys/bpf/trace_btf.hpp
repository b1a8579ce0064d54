// What the trace programs need to know of the running kernel before they load, shared by the
// tracer and the counting programs.
#pragma once

#include <string>
#include <vector>

#include "kt_trace.skel.h"

namespace kt::sys {

// What the running kernel's BTF says of tcp_send_reset: its reasons (numbered per kernel
// version, so read from here rather than a header) and whether the tracepoint passes one.
struct ResetFacts {
    std::vector<std::string> reasons;
    bool has_reason_argument = false;
};
ResetFacts reset_facts();

// Keeps the tcp_send_reset program whose arguments fit the running kernel.
void choose_reset_program(kt_trace_bpf* skel, const ResetFacts& facts);

}  // namespace kt::sys
