// Why BPF cannot run here, in words an operator can act on (the fallback warning and the
// error of --engine bpf).
#pragma once

#include <string>

#include "core/text/error.hpp"

namespace kt::sys {

// Keeps libbpf's own messages off stderr; the last one is kept for load_error.
void quiet_libbpf();

// The error of loading or attaching `what` that failed with `err`.
Error load_error(const std::string& what, int err);

}  // namespace kt::sys
