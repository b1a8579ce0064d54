#include "sys/bpf_sockets.hpp"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include <algorithm>
#include <cstring>
#include <span>
#include <tuple>

#include "bpf/kt_bpf_shared.h"
#include "kt_sockets.skel.h"
#include "sys/bpf/iterator_stream.hpp"
#include "sys/bpf_errors.hpp"
#include "sys/files.hpp"
#include "sys/unique_fd.hpp"

namespace kt::sys {

struct SocketIterator::Impl {
    kt_sockets_bpf* skel = nullptr;
    bpf_link* link = nullptr;          // kt_sockets
    bpf_link* options_link = nullptr;  // kt_options
    bpf_link* owners_link = nullptr;
    unsigned programs = 0;
    std::uint32_t hz = 0;
    std::uint32_t inline_words = 0;  // of kt_plan_bits, that the last plan pass set
    ~Impl() {
        if (owners_link) bpf_link__destroy(owners_link);
        if (options_link) bpf_link__destroy(options_link);
        if (link) bpf_link__destroy(link);
        if (skel) kt_sockets_bpf__destroy(skel);
    }

    Result<void> set_mode(std::uint32_t mode, std::uint32_t flags = KT_PASS_INODES, std::uint32_t apply_count = 0) {
        const std::uint32_t zero = 0;
        kt_pass_config c{mode, flags, apply_count, 0};
        if (bpf_map__update_elem(skel->maps.pass_config, &zero, sizeof zero, &c, sizeof c, BPF_ANY) != 0)
            return fail("BPF pass configuration", errno_text(errno));
        return {};
    }

    // One pass in `netns` (the iterator walks the namespace of the thread that creates it).
    Result<std::vector<KernelSocket>> pass_in(const NetnsTarget& netns, std::uint32_t mode,
                                              std::uint32_t flags = KT_PASS_INODES) {
        std::vector<KernelSocket> out;
        auto r = run_in_netns(netns, [&]() -> Result<void> {
            if (auto m = set_mode(mode, flags); !m) return m;
            auto sockets = pass();
            if (!sockets) return std::unexpected(sockets.error());
            out = std::move(*sockets);
            return {};
        });
        if (!r) return std::unexpected(r.error());
        return out;
    }

    // Creates the iterator in the calling thread's netns and reads it to the end.
    Result<std::vector<KernelSocket>> pass() {
        auto bytes = read_all(link, sockets_buffer);
        if (!bytes) return std::unexpected(bytes.error());
        return parse_kernel_sockets(*bytes);
    }
    Result<std::vector<SocketOptionsRecord>> options_pass() {
        auto bytes = read_all(options_link, sockets_buffer);
        if (!bytes) return std::unexpected(bytes.error());
        return parse_socket_options_records(*bytes);
    }

    // The bytes of one pass, in a buffer kept for the next: 500k sockets are 48 MB of records,
    // and growing a fresh zeroed vector by doubling touched every page three times per pass.
    // The task-file pass has a buffer of its own, as it may run beside a socket pass.
    struct PassBuffer {
        std::unique_ptr<std::uint8_t[]> bytes;
        std::size_t capacity = 0;
    };
    PassBuffer sockets_buffer, owners_buffer;

    Result<std::span<const std::uint8_t>> read_all(bpf_link* from, PassBuffer& into) {
        auto& buffer = into.bytes;
        auto& capacity = into.capacity;
        UniqueFd it(bpf_iter_create(bpf_link__fd(from)));
        if (!it) return fail("BPF socket iterator", errno_text(errno));
        std::size_t used = 0;
        // EAGAIN comes after a million objects without output (sockets of other namespaces in a
        // shared hash table): the iterator resumes where it stopped.
        for (int again = 0;;) {
            if (capacity - used < 64 * 1024) {
                const std::size_t grown = std::max<std::size_t>(capacity * 2, 1 << 20);
                std::unique_ptr<std::uint8_t[]> bigger(new std::uint8_t[grown]);
                if (used > 0) std::memcpy(bigger.get(), buffer.get(), used);
                buffer = std::move(bigger);
                capacity = grown;
            }
            const ssize_t n = ::read(it.get(), buffer.get() + used, capacity - used);
            if (n > 0) {
                used += static_cast<std::size_t>(n);
                continue;
            }
            if (n == 0) break;
            if (errno == EINTR) continue;
            if (errno == EAGAIN && ++again < 1000) continue;
            return fail("BPF socket iterator", errno_text(errno));
        }
        return std::span<const std::uint8_t>(buffer.get(), used);
    }
};

namespace {
// Where no kernel config was readable, libbpf gives CONFIG_HZ = 0: a socket of our own with
// TCP_KEEPIDLE 7 stores 7 * HZ, which the iterator reads back.
Result<std::uint32_t> calibrate_hz(SocketIterator::Impl& impl) {
    UniqueFd s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!s) return fail("calibrating HZ", errno_text(errno));
    const int seconds = 7;
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (::setsockopt(s.get(), IPPROTO_TCP, TCP_KEEPIDLE, &seconds, sizeof seconds) != 0 ||
        ::bind(s.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(s.get(), 1) != 0 ||
        ::getsockname(s.get(), reinterpret_cast<sockaddr*>(&a), &len) != 0)
        return fail("calibrating HZ", errno_text(errno));
    std::uint64_t cookie = 0;
    socklen_t cookie_len = sizeof cookie;
    if (::getsockopt(s.get(), SOL_SOCKET, SO_COOKIE, &cookie, &cookie_len) != 0)
        return fail("calibrating HZ", errno_text(errno));
    auto jiffies = [&](const auto& records) -> std::uint32_t {
        for (const auto& k : records)
            if (k.cookie == cookie && k.idle_jiffies % seconds == 0) return k.idle_jiffies / seconds;
        return 0;
    };
    std::uint32_t hz = 0;
    if (impl.link) {
        if (auto r = impl.set_mode(KT_PASS_READ); !r) return std::unexpected(r.error());
        auto sockets = impl.pass();
        if (!sockets) return std::unexpected(sockets.error());
        hz = jiffies(*sockets);
    } else {
        auto options = impl.options_pass();
        if (!options) return std::unexpected(options.error());
        hz = jiffies(*options);
    }
    if (hz > 0) return hz;
    return fail("calibrating HZ", "the iterator did not show our own socket with TCP_KEEPIDLE set");
}
}  // namespace

SocketIterator::SocketIterator(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
SocketIterator::~SocketIterator() = default;
std::uint32_t SocketIterator::hz() const { return m_impl->hz; }

Result<std::unique_ptr<SocketIterator>> SocketIterator::load(unsigned programs) {
    quiet_libbpf();
    auto impl = std::make_unique<Impl>();
    impl->skel = kt_sockets_bpf__open();
    if (!impl->skel) return fail("BPF", "opening the socket iterator: " + errno_text(errno));
    impl->programs = programs;
    auto& progs = impl->skel->progs;
    bpf_program__set_autoload(progs.kt_options, (programs & Program::options) != 0);
    bpf_program__set_autoload(progs.kt_sockets, (programs & Program::sockets) != 0);
    bpf_program__set_autoload(progs.kt_owners, (programs & Program::owners) != 0);
    if (kt_sockets_bpf__load(impl->skel) != 0) return std::unexpected(load_error("the socket iterator", errno));
    for (auto [wanted, program, link] : {std::tuple{Program::options, progs.kt_options, &impl->options_link},
                                         std::tuple{Program::sockets, progs.kt_sockets, &impl->link}}) {
        if (!(programs & wanted)) continue;
        *link = bpf_program__attach_iter(program, nullptr);
        if (!*link) return std::unexpected(load_error("the socket iterator", errno));
    }
    impl->hz = impl->skel->kconfig ? impl->skel->kconfig->CONFIG_HZ : 0;
    // The task-file program alone reads no keepalive times, and has nothing to measure HZ with.
    if (impl->hz == 0 && (programs & (Program::options | Program::sockets))) {
        auto hz = calibrate_hz(*impl);
        if (!hz) return std::unexpected(hz.error());
        impl->hz = *hz;
    }
    return std::unique_ptr<SocketIterator>(new SocketIterator(std::move(impl)));
}


namespace {
Result<bpf_link*> owners_link(SocketIterator::Impl& impl) {
    if (!(impl.programs & SocketIterator::Program::owners)) return fail("BPF task-file iterator", "not loaded");
    if (!impl.owners_link) {
        impl.owners_link = bpf_program__attach_iter(impl.skel->progs.kt_owners, nullptr);
        if (!impl.owners_link) return std::unexpected(load_error("the task-file iterator", errno));
    }
    return impl.owners_link;
}
}  // namespace

Result<std::vector<SocketFile>> SocketIterator::socket_files() {
    auto link = owners_link(*m_impl);
    if (!link) return std::unexpected(link.error());
    auto bytes = m_impl->read_all(*link, m_impl->owners_buffer);
    if (!bytes) return std::unexpected(bytes.error());
    return parse_socket_files(*bytes);
}

Result<void> SocketIterator::each_socket_file(const std::function<void(const SocketFile&)>& on_file) {
    auto link = owners_link(*m_impl);
    if (!link) return std::unexpected(link.error());
    return stream_records(*link, k_socket_file_record_size, true, [&](std::span<const std::uint8_t> bytes) -> Result<void> {
        auto files = parse_socket_files(bytes);
        if (!files) return std::unexpected(files.error());
        for (const auto& f : *files) on_file(f);
        return {};
    });
}

void SocketIterator::release_buffers() {
    m_impl->sockets_buffer = {};
    m_impl->owners_buffer = {};
}

Result<std::vector<KernelSocket>> SocketIterator::read(const NetnsTarget& netns, Fields fields) {
    if (!m_impl->link) return fail("BPF socket iterator", "not loaded");
    return m_impl->pass_in(netns, KT_PASS_READ, fields == Fields::all ? KT_PASS_INODES : 0);
}


Result<void> SocketIterator::each(const NetnsTarget& netns, Fields fields,
                                  const std::function<void(const KernelSocket&)>& on_socket) {
    if (!m_impl->link) return fail("BPF socket iterator", "not loaded");
    return run_in_netns(netns, [&]() -> Result<void> {
        if (auto m = m_impl->set_mode(KT_PASS_READ, fields == Fields::all ? KT_PASS_INODES : 0); !m) return m;
        return stream_records(m_impl->link, k_kernel_socket_record_size, false, [&](std::span<const std::uint8_t> bytes) -> Result<void> {
            auto records = parse_kernel_sockets(bytes);
            if (!records) return std::unexpected(records.error());
            for (const auto& k : *records) on_socket(k);
            return {};
        });
    });
}

Result<std::vector<SocketOptionsRecord>> SocketIterator::read_options(const NetnsTarget& netns) {
    if (!m_impl->options_link) return fail("BPF socket iterator", "not loaded");
    std::vector<SocketOptionsRecord> out;
    auto r = run_in_netns(netns, [&]() -> Result<void> {
        auto records = m_impl->options_pass();
        if (!records) return std::unexpected(records.error());
        out = std::move(*records);
        return {};
    });
    if (!r) return std::unexpected(r.error());
    return out;
}

namespace {
// A hash map for one pass, filled in one batch: a bpf() call per element costs as much as the
// pass.
Result<UniqueFd> pass_map(const char* name, std::uint32_t key_size, std::uint32_t value_size, const void* keys,
                          const void* values, std::uint32_t count) {
    bpf_map_create_opts options{};
    options.sz = sizeof options;
    UniqueFd map(bpf_map_create(BPF_MAP_TYPE_HASH, name, key_size, value_size, std::max<std::uint32_t>(count, 1), &options));
    if (!map) return fail("BPF apply map", errno_text(errno));
    for (std::uint32_t done = 0; done < count;) {
        std::uint32_t n = count - done;
        if (bpf_map_update_batch(map.get(), static_cast<const char*>(keys) + std::size_t{done} * key_size,
                                 static_cast<const char*>(values) + std::size_t{done} * value_size, &n, nullptr) != 0 &&
            n == 0)
            return fail("BPF apply map", errno_text(errno));
        done += n;
    }
    return map;
}

// An array map for one pass, written through a mapping of it: no system call per element.
// `fill` writes the `count` elements.
template <class Element, class Fill>
Result<UniqueFd> mapped_pass_array(const char* name, std::uint32_t count, Fill fill) {
    bpf_map_create_opts options{};
    options.sz = sizeof options;
    options.map_flags = BPF_F_MMAPABLE | BPF_F_INNER_MAP;
    UniqueFd map(bpf_map_create(BPF_MAP_TYPE_ARRAY, name, sizeof(std::uint32_t), sizeof(Element),
                                std::max<std::uint32_t>(count, 1), &options));
    if (!map) return fail("BPF apply map", errno_text(errno));
    if (count == 0) return map;
    const std::size_t page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
    const std::size_t bytes = (std::size_t{count} * sizeof(Element) + page - 1) / page * page;
    void* mapped = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, map.get(), 0);
    if (mapped == MAP_FAILED) return fail("BPF apply map", "mapping it: " + errno_text(errno));
    fill(static_cast<Element*>(mapped));
    ::munmap(mapped, bytes);
    return map;
}

// The sockets of an apply pass in the order they were planned (the read pass's, which the
// apply pass follows), and beside them their cookies sorted, for the sockets out of order.
struct ApplyArrays {
    UniqueFd sockets, index;
};
Result<ApplyArrays> apply_arrays(const PassWrites& writes) {
    const std::uint32_t count = static_cast<std::uint32_t>(writes.size());
    const auto& planned = writes.sockets();
    auto sockets = mapped_pass_array<kt_apply_entry>("kt_apply", count, [&](kt_apply_entry* out) {
        for (std::uint32_t i = 0; i < count; ++i) out[i] = {planned[i].cookie, planned[i].sequence, 0, 0, 0};
    });
    if (!sockets) return std::unexpected(sockets.error());
    auto index = mapped_pass_array<kt_apply_index>("kt_apply_index", count, [&](kt_apply_index* out) {
        for (std::uint32_t i = 0; i < count; ++i) out[i] = {planned[i].cookie, i, 0};
        std::sort(out, out + count, [](const kt_apply_index& a, const kt_apply_index& b) { return a.cookie < b.cookie; });
    });
    if (!index) return std::unexpected(index.error());
    return ApplyArrays{std::move(*sockets), std::move(*index)};
}
}  // namespace

Result<void> SocketIterator::plan(const NetnsTarget& netns, const PassPlan& plan, const std::vector<std::uint32_t>& inodes,
                                  const std::function<void(const PlannedSocket&)>& on_socket) {
    if (!m_impl->link) return fail("BPF socket iterator", "not loaded");
    std::uint32_t low = 0, high = 0;
    if (!inodes.empty()) {
        const auto [min, max] = std::minmax_element(inodes.begin(), inodes.end());
        low = *min;
        high = *max;
    }
    const std::uint64_t span = inodes.empty() ? 0 : std::uint64_t{high} - low + 1;
    if (span >= k_plan_inode_span) return fail("BPF plan pass", "the targets' socket inodes span too many numbers");
    const std::uint32_t words = static_cast<std::uint32_t>((span + 63) / 64);
    auto set_bits = [&](auto* out) {
        for (std::uint32_t inode : inodes) out[(inode - low) / 64] |= std::uint64_t{1} << ((inode - low) % 64);
    };
    // verify's pass takes every socket, and needs no bitmap.
    const bool all = plan.check_only && plan.all_targets;
    const bool inline_bits = !all && span <= KT_PLAN_INLINE_BITS;
    if (inline_bits) {
        auto* bits = m_impl->skel->bss->kt_plan_bits;
        std::memset(bits, 0, std::max(words, m_impl->inline_words) * sizeof *bits);
        m_impl->inline_words = words;
        set_bits(bits);
    } else if (!all) {
        auto bits = mapped_pass_array<std::uint64_t>("kt_plan_targets", words, set_bits);
        if (!bits) return std::unexpected(bits.error());
        // Left in its slot after the pass (the next plan pass's replaces it): taking it out
        // would cost another grace period, and other passes do not look at it.
        const std::uint32_t zero = 0;
        const int bits_fd = bits->get();
        if (bpf_map_update_elem(bpf_map__fd(m_impl->skel->maps.plan_target_maps), &zero, &bits_fd, BPF_ANY) != 0)
            return fail("BPF plan map", errno_text(errno));
    }
    auto& k = m_impl->skel->bss->kt_plan;
    k = {};
    k.want = {plan.want.keepalive ? 1u : 0u, plan.want.idle_seconds, plan.want.interval_seconds, plan.want.count,
              plan.want.user_timeout_ms};
    k.keep_user_timeout = plan.keep_user_timeout ? 1 : 0;
    k.hz = m_impl->hz;
    k.default_idle_seconds = plan.defaults.idle_seconds;
    k.default_interval_seconds = plan.defaults.interval_seconds;
    k.default_count = plan.defaults.count;
    k.inode_base = low;
    k.inode_count = static_cast<std::uint32_t>(span);
    k.states = plan.states;
    k.check_only = plan.check_only ? 1 : 0;
    k.all_targets = all ? 1 : 0;
    k.bits_inline = inline_bits ? 1 : 0;
    m_impl->skel->bss->kt_plan_last = {};
    auto r = run_in_netns(netns, [&]() -> Result<void> {
        if (auto m = m_impl->set_mode(KT_PASS_PLAN); !m) return m;
        return stream_records(m_impl->link, k_planned_socket_record_size, true, [&](std::span<const std::uint8_t> bytes) -> Result<void> {
            auto records = parse_planned_sockets(bytes);
            if (!records) return std::unexpected(records.error());
            for (const auto& s : *records) on_socket(s);
            return {};
        }, k.all_targets ? SIZE_MAX : 8);
    });
    // A later pass of this program reads only, whatever this one left.
    if (auto m = m_impl->set_mode(KT_PASS_READ); !m && r) return m;
    return r;
}

Result<std::vector<AppliedSocket>> SocketIterator::apply(const NetnsTarget& netns, const PassWrites& writes) {
    if (!m_impl->link) return fail("BPF socket iterator", "not loaded");
    std::vector<std::uint32_t> numbers;
    std::vector<kt_write_sequence> sequences;
    for (const auto& seq : writes.sequences()) {
        if (seq.size() > KT_MAX_WRITES) return fail("BPF apply", "more writes than a pass can carry");
        kt_write_sequence k{};
        k.count = static_cast<std::uint32_t>(seq.size());
        for (std::size_t i = 0; i < seq.size(); ++i) k.writes[i] = {static_cast<std::uint32_t>(seq[i].option), seq[i].value};
        numbers.push_back(static_cast<std::uint32_t>(numbers.size()));
        sequences.push_back(k);
    }
    auto sequence_map = pass_map("kt_sequences", sizeof(std::uint32_t), sizeof(kt_write_sequence), numbers.data(),
                                 sequences.data(), static_cast<std::uint32_t>(numbers.size()));
    if (!sequence_map) return std::unexpected(sequence_map.error());
    auto socket_maps = apply_arrays(writes);
    if (!socket_maps) return std::unexpected(socket_maps.error());
    // The pass's own maps, in the slots the program looks in. The program marks each socket
    // it has run, so a socket shown twice is changed once; the maps go with their slots, so a
    // later pass reads only.
    const std::uint32_t zero = 0;
    const int sequence_slots = bpf_map__fd(m_impl->skel->maps.sequence_maps);
    const int socket_slots = bpf_map__fd(m_impl->skel->maps.apply_maps);
    const int index_slots = bpf_map__fd(m_impl->skel->maps.apply_index_maps);
    const int sequence_fd = sequence_map->get(), socket_fd = socket_maps->sockets.get(),
              index_fd = socket_maps->index.get();
    // The program starts at the first entry.
    m_impl->skel->bss->kt_apply_next = 0;
    if (bpf_map_update_elem(sequence_slots, &zero, &sequence_fd, BPF_ANY) != 0 ||
        bpf_map_update_elem(socket_slots, &zero, &socket_fd, BPF_ANY) != 0 ||
        bpf_map_update_elem(index_slots, &zero, &index_fd, BPF_ANY) != 0)
        return fail("BPF apply map", errno_text(errno));
    std::vector<AppliedSocket> out;
    auto r = run_in_netns(netns, [&]() -> Result<void> {
        if (auto m = m_impl->set_mode(KT_PASS_APPLY, KT_PASS_INODES, static_cast<std::uint32_t>(writes.size())); !m) return m;
        auto bytes = m_impl->read_all(m_impl->link, m_impl->sockets_buffer);
        if (!bytes) return std::unexpected(bytes.error());
        auto applied = parse_applied_sockets(*bytes);
        if (!applied) return std::unexpected(applied.error());
        out = std::move(*applied);
        return {};
    });
    bpf_map_delete_elem(index_slots, &zero);
    bpf_map_delete_elem(socket_slots, &zero);
    bpf_map_delete_elem(sequence_slots, &zero);
    if (!r) return std::unexpected(r.error());
    return out;
}

}  // namespace kt::sys
