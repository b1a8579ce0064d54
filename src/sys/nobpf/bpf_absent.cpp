// A build without the BPF engine (KT_BPF=OFF, or clang/bpftool/libbpf missing at build time):
// every entry point says so, and `--engine auto` runs the pidfd engine.
#include "sys/bpf_errors.hpp"
#include "sys/bpf_sockets.hpp"

namespace kt::sys {

namespace {
Error not_built() {
    return {"BPF", "this keepalive-tune was built without the BPF engine (KT_BPF=OFF, or clang, bpftool or "
                   "libbpf-dev missing at build time)",
            95 /* EOPNOTSUPP */};
}
}  // namespace

void quiet_libbpf() {}
Error load_error(const std::string&, int) { return not_built(); }

struct SocketIterator::Impl {};
SocketIterator::SocketIterator(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
SocketIterator::~SocketIterator() = default;
std::uint32_t SocketIterator::hz() const { return 0; }
Result<std::unique_ptr<SocketIterator>> SocketIterator::load() { return std::unexpected(not_built()); }
Result<std::vector<KernelSocket>> SocketIterator::read(const NetnsTarget&) { return std::unexpected(not_built()); }
Result<std::vector<KernelSocket>> SocketIterator::apply(const NetnsTarget&, const std::vector<CookieWrites>&) {
    return std::unexpected(not_built());
}

}  // namespace kt::sys
