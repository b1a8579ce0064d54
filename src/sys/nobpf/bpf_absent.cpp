// A build without the BPF engine (KT_BPF=OFF, or clang/bpftool/libbpf missing at build time):
// every entry point says so, `--engine auto` runs the pidfd engine, and nothing is enforced.
#include "sys/bpf_end_counters.hpp"
#include "sys/bpf_enforce.hpp"
#include "sys/bpf_errors.hpp"
#include "sys/bpf_sockets.hpp"
#include "sys/bpf_trace.hpp"

namespace kt::sys {

namespace {
std::unexpected<Error> not_built() {
    return std::unexpected(Error{"BPF engine",
                                 "this keepalive-tune was built without it (KT_BPF=OFF, or clang, bpftool or "
                                 "libbpf-dev missing at build time)",
                                 95 /* EOPNOTSUPP */});
}
}  // namespace

void quiet_libbpf() {}
Error load_error(const std::string&, int) { return not_built().error(); }

struct SocketIterator::Impl {};
SocketIterator::SocketIterator(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
SocketIterator::~SocketIterator() = default;
std::uint32_t SocketIterator::hz() const { return 0; }
Result<std::unique_ptr<SocketIterator>> SocketIterator::load(unsigned) { return not_built(); }
Result<std::vector<SocketFile>> SocketIterator::socket_files() { return not_built(); }
Result<void> SocketIterator::each_socket_file(const std::function<void(const SocketFile&)>&) { return not_built(); }
void SocketIterator::release_buffers() {}
Result<std::vector<KernelSocket>> SocketIterator::read(const NetnsTarget&, Fields) { return not_built(); }
Result<void> SocketIterator::each(const NetnsTarget&, Fields, const std::function<void(const KernelSocket&)>&) {
    return not_built();
}
Result<std::vector<SocketOptionsRecord>> SocketIterator::read_options(const NetnsTarget&) { return not_built(); }
Result<std::vector<AppliedSocket>> SocketIterator::apply(const NetnsTarget&, const PassWrites&) {
    return not_built();
}
Result<void> SocketIterator::plan(const NetnsTarget&, const PassPlan&, const std::vector<std::uint32_t>&,
                                  const std::function<void(const PlannedSocket&)>&) {
    return not_built();
}

struct EndTracer::Impl {};
EndTracer::EndTracer(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
EndTracer::~EndTracer() = default;
Result<std::unique_ptr<EndTracer>> EndTracer::load(const Options&) { return not_built(); }
Result<int> EndTracer::poll(int, const std::function<void(std::span<const std::uint8_t>)>&) { return not_built(); }
std::uint64_t EndTracer::dropped() const { return 0; }
std::uint32_t EndTracer::hz() const { return 0; }
const std::vector<std::string>& EndTracer::reset_reasons() const {
    static const std::vector<std::string> none;
    return none;
}

Result<CgroupDir> resolve_cgroup(const std::string&) { return not_built(); }
Result<EnforceResult> enforce(const kt_enforce_config&) { return not_built(); }
Result<void> preload_enforce() { return not_built(); }
Result<std::vector<EnforcedPin>> list_enforced() { return std::vector<EnforcedPin>{}; }
Result<bool> remove_enforced(std::uint64_t) { return not_built(); }
UniqueFd lock_pins() { return UniqueFd(); }
Result<bool> ensure_bpffs() { return not_built(); }

std::string end_counters_dir() { return std::string(k_pin_root) + "/connection-ends"; }
Result<CountersInstalled> install_end_counters() { return not_built(); }
Result<bool> remove_end_counters() { return not_built(); }
Result<std::optional<EndCounters>> read_end_counters() { return std::optional<EndCounters>(); }

}  // namespace kt::sys
