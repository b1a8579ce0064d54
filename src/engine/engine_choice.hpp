// Which engine reads and changes socket options: the BPF engine (a socket iterator) reaches
// every socket of a namespace, accept queues included, and tells a value set on the socket from
// one inherited from the sysctls; pidfd_getfd reaches sockets that processes hold as file
// descriptors. The choice is "auto", "bpf" or "pidfd", as --engine gives it.
#pragma once

#include <memory>
#include <string>

#include "core/text/error.hpp"
#include "sys/bpf_sockets.hpp"

namespace kt::engine {

// For "auto" and "bpf", loads the socket iterator. "auto" falls back to pidfd (a null
// iterator) with one warning naming the reason, unless `fallback` is quiet (where pidfd loses
// little); "bpf" makes that reason the error.
enum class Fallback { warn, quiet };
Result<std::unique_ptr<sys::SocketIterator>> open_engine(const std::string& choice, Fallback fallback = Fallback::warn);

// The same choice on a load made elsewhere (in the background): "auto" or "bpf" only.
Result<std::unique_ptr<sys::SocketIterator>> decide_engine(const std::string& choice,
                                                           Result<std::unique_ptr<sys::SocketIterator>> loaded,
                                                           Fallback fallback = Fallback::warn);
// "auto", "bpf" or "pidfd", else the error.
Result<void> check_engine_choice(const std::string& choice);

inline const char* engine_name(const std::unique_ptr<sys::SocketIterator>& it) { return it ? "bpf" : "pidfd"; }

}  // namespace kt::engine
