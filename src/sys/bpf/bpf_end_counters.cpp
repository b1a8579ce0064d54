#include "sys/bpf_end_counters.hpp"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "bpf/kt_bpf_shared.h"
#include "sys/bpf/trace_btf.hpp"
#include "sys/bpf_enforce.hpp"
#include "sys/bpf_errors.hpp"
#include "sys/files.hpp"
#include "sys/unique_fd.hpp"

namespace kt::sys {

namespace {
// The links keep the programs (and the maps they use) alive; the maps are pinned to be read.
const char* const k_links[] = {"link-state", "link-reset-in", "link-reset-out"};
const char* const k_maps[] = {"counts", "destinations"};

void unpin_all(const std::string& dir) {
    for (const char* name : k_links) ::unlink((dir + "/" + name).c_str());
    for (const char* name : k_maps) ::unlink((dir + "/" + name).c_str());
    ::rmdir(dir.c_str());
    // The pin root goes with its last directory (a failure here means others are there).
    ::rmdir(k_pin_root);
}

// Every entry of a hash map, key by key.
template <class Key, class Each>
Result<void> each_entry(int fd, const std::string& what, Each each) {
    Key key{}, next{};
    const Key* from = nullptr;
    // Bounded: a map holds at most its max_entries, and an LRU map changing under us cannot
    // make the walk longer than that many steps twice over.
    for (int i = 0; i < 3 * 8192 + 16; ++i) {
        if (bpf_map_get_next_key(fd, from, &next) != 0) {
            if (errno == ENOENT) return {};
            return fail(what, errno_text(errno));
        }
        std::uint64_t value = 0;
        if (bpf_map_lookup_elem(fd, &next, &value) == 0) each(next, value);
        key = next;
        from = &key;
    }
    return {};
}

Endpoint endpoint_of(const kt_end_destination_key& k) {
    Endpoint e;
    e.address.family = k.family;
    std::memcpy(e.address.bytes.data(), k.addr, k.family == k_family_inet ? 4 : 16);
    e.port = k.port;
    return e;
}
}  // namespace

std::string end_counters_dir() { return std::string(k_pin_root) + "/connection-ends"; }

Result<CountersInstalled> install_end_counters() {
    CountersInstalled out;
    const UniqueFd lock = lock_pins();
    auto mounted = ensure_bpffs();
    if (!mounted) return std::unexpected(mounted.error());
    out.mounted_bpffs = *mounted;
    const std::string dir = end_counters_dir();
    if (::access((dir + "/counts").c_str(), F_OK) == 0) {
        out.already = true;
        return out;
    }
    quiet_libbpf();
    kt_trace_bpf* skel = kt_trace_bpf__open();
    if (!skel) return fail("BPF", "opening the trace programs: " + errno_text(errno));
    std::vector<bpf_link*> links;
    auto undo = [&](Error e) -> Result<CountersInstalled> {
        for (auto* l : links) bpf_link__destroy(l);
        kt_trace_bpf__destroy(skel);
        unpin_all(dir);
        return std::unexpected(e);
    };
    skel->rodata->kt_trace_count = 1;
    choose_reset_program(skel, reset_facts());
    // Counting writes no records: the ring buffer keeps its smallest size.
    if (bpf_map__set_max_entries(skel->maps.ends, static_cast<__u32>(::sysconf(_SC_PAGESIZE))) != 0)
        return undo({"BPF", "the trace ring buffer's size: " + errno_text(errno)});
    if (kt_trace_bpf__load(skel) != 0) return undo(load_error("the trace programs", errno));
    if (::mkdir(k_pin_root, 0700) != 0 && errno != EEXIST) return undo({k_pin_root, errno_text(errno)});
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return undo({dir, errno_text(errno)});
    bpf_program* reset_out = bpf_program__autoload(skel->progs.kt_reset_out) ? skel->progs.kt_reset_out
                                                                             : skel->progs.kt_reset_out_no_reason;
    bpf_program* programs[] = {skel->progs.kt_state, skel->progs.kt_reset_in, reset_out};
    for (std::size_t i = 0; i < std::size(programs); ++i) {
        bpf_link* link = bpf_program__attach(programs[i]);
        if (!link) return undo(load_error("the trace programs", errno));
        links.push_back(link);
        const std::string path = dir + "/" + k_links[i];
        if (bpf_link__pin(link, path.c_str()) != 0) return undo({path, errno_text(errno)});
    }
    bpf_map* maps[] = {skel->maps.end_counts, skel->maps.end_destinations};
    for (std::size_t i = 0; i < std::size(maps); ++i) {
        const std::string path = dir + "/" + k_maps[i];
        if (bpf_map__pin(maps[i], path.c_str()) != 0) return undo({path, errno_text(errno)});
    }
    // The pins hold the links now: closing ours leaves them attached.
    for (auto* l : links) bpf_link__destroy(l);
    kt_trace_bpf__destroy(skel);
    return out;
}

Result<bool> remove_end_counters() {
    const UniqueFd lock = lock_pins();
    const std::string dir = end_counters_dir();
    if (::access(dir.c_str(), F_OK) != 0) {
        if (errno == ENOENT) return false;
        return fail(dir, errno_text(errno) + " (the pins are root's: run as root)");
    }
    for (const char* name : k_links)
        if (::unlink((dir + "/" + name).c_str()) != 0 && errno != ENOENT) return fail(dir + "/" + name, errno_text(errno));
    for (const char* name : k_maps)
        if (::unlink((dir + "/" + name).c_str()) != 0 && errno != ENOENT) return fail(dir + "/" + name, errno_text(errno));
    if (::rmdir(dir.c_str()) != 0) return fail(dir, errno_text(errno));
    ::rmdir(k_pin_root);
    return true;
}

Result<std::optional<EndCounters>> read_end_counters() {
    const std::string dir = end_counters_dir();
    const std::string counts_pin = dir + "/counts", destinations_pin = dir + "/destinations";
    UniqueFd counts(bpf_obj_get(counts_pin.c_str()));
    if (!counts) {
        if (errno == ENOENT) return std::optional<EndCounters>();
        return fail(counts_pin, errno_text(errno));
    }
    UniqueFd destinations(bpf_obj_get(destinations_pin.c_str()));
    if (!destinations) return fail(destinations_pin, errno_text(errno));
    EndCounters out;
    auto totals = each_entry<kt_end_count_key>(counts.get(), counts_pin, [&](const kt_end_count_key& k, std::uint64_t n) {
        if (k.reason < KT_END_REASONS) out.totals.push_back({k.netns_inode, static_cast<EndReason>(k.reason), n});
    });
    if (!totals) return std::unexpected(totals.error());
    auto dests = each_entry<kt_end_destination_key>(
        destinations.get(), destinations_pin, [&](const kt_end_destination_key& k, std::uint64_t n) {
            if (k.reason < KT_END_REASONS && (k.family == k_family_inet || k.family == k_family_inet6))
                out.destinations.push_back({k.netns_inode, static_cast<EndReason>(k.reason), endpoint_of(k), n});
        });
    if (!dests) return std::unexpected(dests.error());
    return std::optional<EndCounters>(std::move(out));
}

}  // namespace kt::sys
