#include "sys/bpf_trace.hpp"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include <cerrno>
#include <cstring>

#include "kt_trace.skel.h"
#include "sys/bpf_errors.hpp"
#include "sys/bpf/trace_btf.hpp"
#include "sys/bpf_sockets.hpp"
#include "sys/files.hpp"

namespace kt::sys {

struct EndTracer::Impl {
    kt_trace_bpf* skel = nullptr;
    ring_buffer* ring = nullptr;
    std::uint32_t hz = 0;
    std::vector<std::string> reasons;
    const std::function<void(std::span<const std::uint8_t>)>* on_record = nullptr;
    int handled = 0;
    ~Impl() {
        if (ring) ring_buffer__free(ring);
        if (skel) kt_trace_bpf__destroy(skel);
    }
    static int on_sample(void* ctx, void* data, size_t size) {
        auto* self = static_cast<Impl*>(ctx);
        (*self->on_record)({static_cast<const std::uint8_t*>(data), size});
        ++self->handled;
        return 0;
    }
};

ResetFacts reset_facts() {
    ResetFacts facts;
    btf* vmlinux = btf__load_vmlinux_btf();
    if (!vmlinux) return facts;
    const int id = btf__find_by_name_kind(vmlinux, "sk_rst_reason", BTF_KIND_ENUM);
    if (id > 0) {
        const btf_type* t = btf__type_by_id(vmlinux, static_cast<__u32>(id));
        const struct btf_enum* values = btf_enum(t);
        constexpr std::string_view prefix = "SK_RST_REASON_";
        for (unsigned i = 0; i < btf_vlen(t); ++i) {
            if (values[i].val < 0 || values[i].val > 1024) continue;
            std::string name = btf__name_by_offset(vmlinux, values[i].name_off);
            if (name.starts_with(prefix)) name.erase(0, prefix.size());
            const auto at = static_cast<std::size_t>(values[i].val);
            if (facts.reasons.size() <= at) facts.reasons.resize(at + 1);
            facts.reasons[at] = name;
        }
    }
    // typedef void (*btf_trace_tcp_send_reset)(void *, const struct sock *, const struct sk_buff *
    //                                         [, const enum sk_rst_reason]);
    const int td = btf__find_by_name_kind(vmlinux, "btf_trace_tcp_send_reset", BTF_KIND_TYPEDEF);
    if (td > 0) {
        const btf_type* ptr = btf__type_by_id(vmlinux, btf__type_by_id(vmlinux, static_cast<__u32>(td))->type);
        if (ptr && btf_is_ptr(ptr)) {
            const btf_type* proto = btf__type_by_id(vmlinux, ptr->type);
            if (proto && btf_is_func_proto(proto)) facts.has_reason_argument = btf_vlen(proto) >= 4;
        }
    }
    btf__free(vmlinux);
    return facts;
}

void choose_reset_program(kt_trace_bpf* skel, const ResetFacts& facts) {
    bpf_program__set_autoload(skel->progs.kt_reset_out, facts.has_reason_argument);
    bpf_program__set_autoload(skel->progs.kt_reset_out_no_reason, !facts.has_reason_argument);
}

EndTracer::EndTracer(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
EndTracer::~EndTracer() = default;
std::uint32_t EndTracer::hz() const { return m_impl->hz; }
const std::vector<std::string>& EndTracer::reset_reasons() const { return m_impl->reasons; }
std::uint64_t EndTracer::dropped() const { return __atomic_load_n(&m_impl->skel->bss->kt_dropped, __ATOMIC_RELAXED); }

Result<std::unique_ptr<EndTracer>> EndTracer::load(const Options& options) {
    quiet_libbpf();
    auto impl = std::make_unique<Impl>();
    impl->skel = kt_trace_bpf__open();
    if (!impl->skel) return fail("BPF", "opening the trace programs: " + errno_text(errno));
    impl->skel->rodata->kt_trace_all = options.all ? 1 : 0;
    impl->skel->rodata->kt_trace_netns = options.netns_inode;
    impl->skel->rodata->kt_trace_sides = options.sides ? 1 : 0;
    const ResetFacts facts = reset_facts();
    choose_reset_program(impl->skel, facts);
    if (bpf_map__set_max_entries(impl->skel->maps.ends, static_cast<__u32>(options.ring_bytes)) != 0)
        return fail("BPF", "the trace ring buffer's size: " + errno_text(errno));
    if (kt_trace_bpf__load(impl->skel) != 0) return std::unexpected(load_error("the trace programs", errno));
    if (kt_trace_bpf__attach(impl->skel) != 0) return std::unexpected(load_error("the trace programs", errno));
    impl->ring = ring_buffer__new(bpf_map__fd(impl->skel->maps.ends), &Impl::on_sample, impl.get(), nullptr);
    if (!impl->ring) return fail("BPF", "the trace ring buffer: " + errno_text(errno));
    impl->hz = impl->skel->kconfig ? impl->skel->kconfig->CONFIG_HZ : 0;
    if (impl->hz == 0) {
        // No kernel config to read: the socket iterator measures HZ on a socket of its own.
        auto it = SocketIterator::load(SocketIterator::Program::options);
        if (!it) return std::unexpected(it.error());
        impl->hz = (*it)->hz();
    }
    impl->reasons = facts.reasons;
    return std::unique_ptr<EndTracer>(new EndTracer(std::move(impl)));
}

Result<int> EndTracer::poll(int timeout_ms, const std::function<void(std::span<const std::uint8_t>)>& on_record) {
    m_impl->on_record = &on_record;
    m_impl->handled = 0;
    const int r = ring_buffer__poll(m_impl->ring, timeout_ms);
    m_impl->on_record = nullptr;
    if (r < 0 && r != -EINTR) return fail("trace ring buffer", errno_text(-r));
    return m_impl->handled;
}

}  // namespace kt::sys
