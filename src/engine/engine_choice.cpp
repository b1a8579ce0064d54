#include "engine/engine_choice.hpp"

#include "sys/output.hpp"

namespace kt::engine {

Result<void> check_engine_choice(const std::string& choice) {
    if (choice != "auto" && choice != "bpf" && choice != "pidfd") return fail("--engine " + choice, "must be auto, bpf or pidfd");
    return {};
}

Result<std::unique_ptr<sys::SocketIterator>> open_engine(const std::string& choice, Fallback fallback) {
    if (auto c = check_engine_choice(choice); !c) return std::unexpected(c.error());
    if (choice == "pidfd") return nullptr;
    // The engines read and change whole records; only inspect --exact wants options alone.
    using It = sys::SocketIterator;
    return decide_engine(choice, It::load(It::sockets | It::owners), fallback);
}

Result<std::unique_ptr<sys::SocketIterator>> decide_engine(const std::string& choice,
                                                           Result<std::unique_ptr<sys::SocketIterator>> it,
                                                           Fallback fallback) {
    if (it) return std::move(*it);
    if (choice == "bpf")
        return fail("--engine bpf", it.error().line() + "; use --engine pidfd (or auto, which falls back to it)");
    // A build without the engine is a choice made at build time, not news at every run.
    if (it.error().code != 95 /* EOPNOTSUPP: not built */ && fallback == Fallback::warn) write_warning(it.error().line() + "; using the pidfd engine");
    return nullptr;
}

}  // namespace kt::engine
