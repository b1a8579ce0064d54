#include "sys/bpf_enforce.hpp"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <dirent.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <cerrno>
#include <mutex>
#include <utility>

#include "kt_enforce.skel.h"
#include "sys/bpf_errors.hpp"
#include "sys/files.hpp"
#include "sys/target_processes.hpp"
#include "sys/unique_fd.hpp"

namespace kt::sys {

UniqueFd lock_pins() {
    ::mkdir("/run/keepalive-tune", 0755);
    UniqueFd fd(::open("/run/keepalive-tune/pins.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600));
    // Best effort: without /run (a read-only one) the runs are as they were without the lock.
    if (fd) ::flock(fd.get(), LOCK_EX);
    return fd;
}

Result<bool> ensure_bpffs() {
    struct statfs fs{};
    if (::statfs(k_bpffs, &fs) == 0 && static_cast<unsigned long>(fs.f_type) == BPF_FS_MAGIC) return false;
    if (::mkdir(k_bpffs, 0700) != 0 && errno != EEXIST) return fail(k_bpffs, errno_text(errno));
    if (::mount("bpf", k_bpffs, "bpf", 0, "mode=0700") != 0)
        return fail(std::string("mounting bpffs at ") + k_bpffs, errno_text(errno) + " (needs CAP_SYS_ADMIN)");
    return true;
}

namespace {
const char* const k_pins[] = {"sockops", "setsockopt", "config", "stats"};

// The socket marks every enforce program shares (kt_socket_mark), pinned beside the cgroups'.
const std::string k_marks_pin = std::string(k_pin_root) + "/socket-marks";

std::string pin_dir_of(std::uint64_t cgroup_id) { return std::string(k_pin_root) + "/cgroup-" + std::to_string(cgroup_id); }

void remove_pins(const std::string& dir) {
    for (const char* name : k_pins) ::unlink((dir + "/" + name).c_str());
    ::rmdir(dir.c_str());
}

bool cgroup_still_there(const EnforcedCgroup& c) {
    struct stat st{};
    return ::stat(c.cgroup_path.c_str(), &st) == 0 && S_ISDIR(st.st_mode) && st.st_ino == c.cgroup_id;
}

Result<UniqueFd> pinned(const std::string& path) {
    UniqueFd fd(bpf_obj_get(path.c_str()));
    if (!fd) return fail(path, errno_text(errno));
    return fd;
}

// The id of the map behind `fd`, or 0.
std::uint32_t map_id(int fd) {
    bpf_map_info info{};
    std::uint32_t len = sizeof info;
    return bpf_obj_get_info_by_fd(fd, &info, &len) == 0 ? info.id : 0;
}

// Opens and loads the programs, sharing the pinned socket marks when there are some.
Result<kt_enforce_bpf*> load_skeleton() {
    quiet_libbpf();
    kt_enforce_bpf* skel = kt_enforce_bpf__open();
    if (!skel) return std::unexpected(load_error("the sockops program", errno));
    // The programs of nested cgroups must see each other's marks: one map for all of them.
    UniqueFd marks(bpf_obj_get(k_marks_pin.c_str()));
    if (marks && bpf_map__reuse_fd(skel->maps.socket_marks, marks.get()) != 0) {
        const int err = errno;
        kt_enforce_bpf__destroy(skel);
        return fail(k_marks_pin, errno_text(err) + " (left by another version? remove every enforce and retry)");
    }
    if (kt_enforce_bpf__load(skel) != 0) {
        const int err = errno;
        kt_enforce_bpf__destroy(skel);
        return std::unexpected(load_error("the sockops program", err));
    }
    return skel;
}

// A skeleton loaded ahead of need (preload_enforce): most of an attach is libbpf reading the
// kernel's BTF for the load, which a long-running caller can do before the cgroup appears.
std::mutex g_spare_mutex;
kt_enforce_bpf* g_spare = nullptr;

// The spare when it still shares the pinned marks (another run may have pinned them since).
kt_enforce_bpf* take_spare() {
    std::lock_guard lock(g_spare_mutex);
    kt_enforce_bpf* skel = std::exchange(g_spare, nullptr);
    if (!skel) return nullptr;
    UniqueFd marks(bpf_obj_get(k_marks_pin.c_str()));
    const std::uint32_t pinned = marks ? map_id(marks.get()) : 0;
    const std::uint32_t own = map_id(bpf_map__fd(skel->maps.socket_marks));
    if (pinned != 0 && pinned != own) {
        kt_enforce_bpf__destroy(skel);
        return nullptr;
    }
    return skel;
}

Result<EnforceResult> attach_and_pin(const kt_enforce_config& config, EnforceResult out) {
    kt_enforce_bpf* skel = take_spare();
    if (!skel) {
        auto loaded = load_skeleton();
        if (!loaded) return std::unexpected(loaded.error());
        skel = *loaded;
    }
    // Whether the marks are pinned already, as the pinning below needs to know.
    UniqueFd marks(bpf_obj_get(k_marks_pin.c_str()));
    bpf_link* links[2] = {nullptr, nullptr};
    auto cleanup = [&] {
        for (auto* l : links)
            if (l) bpf_link__destroy(l);
        kt_enforce_bpf__destroy(skel);
    };
    const std::uint32_t zero = 0;
    if (bpf_map__update_elem(skel->maps.enforce_config, &zero, sizeof zero, &config, sizeof config, BPF_ANY) != 0) {
        const int err = errno;
        cleanup();
        return fail("enforce: profile map", errno_text(err));
    }
    UniqueFd cgroup(::open(config.cgroup_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!cgroup) {
        const int err = errno;
        cleanup();
        return fail(std::string("--cgroup ") + config.cgroup_path, errno_text(err));
    }
    links[0] = bpf_program__attach_cgroup(skel->progs.kt_enforce_sockops, cgroup.get());
    if (links[0]) links[1] = bpf_program__attach_cgroup(skel->progs.kt_enforce_setsockopt, cgroup.get());
    if (!links[0] || !links[1]) {
        const int err = errno;
        cleanup();
        return std::unexpected(load_error("the cgroup programs", err));
    }
    if (::mkdir(out.pin_dir.c_str(), 0700) != 0) {
        const int err = errno;
        cleanup();
        return fail(out.pin_dir, errno_text(err));
    }
    // Links first: were the process to die now, the maps go with the programs.
    const int pinned_all = bpf_link__pin(links[0], (out.pin_dir + "/sockops").c_str()) == 0 &&
                           bpf_link__pin(links[1], (out.pin_dir + "/setsockopt").c_str()) == 0 &&
                           bpf_map__pin(skel->maps.enforce_config, (out.pin_dir + "/config").c_str()) == 0 &&
                           bpf_map__pin(skel->maps.enforce_stats, (out.pin_dir + "/stats").c_str()) == 0 &&
                           (marks || bpf_map__pin(skel->maps.socket_marks, k_marks_pin.c_str()) == 0);
    const int err = errno;
    cleanup();  // the pins hold what stays attached
    if (!pinned_all) {
        remove_pins(out.pin_dir);
        return fail("pinning under " + out.pin_dir, errno_text(err));
    }
    return out;
}
}  // namespace

Result<CgroupDir> resolve_cgroup(const std::string& path) {
    const std::string root = cgroup2_mount();
    // As apply --cgroup takes it: a full path, or one relative to the cgroup2 mount.
    const auto resolved = cgroup_dir_of(path, root);
    if (!resolved) return std::unexpected(resolved.error());
    const std::string& dir = *resolved;
    struct stat st{};
    if (::stat(dir.c_str(), &st) != 0) return fail("--cgroup " + path, errno_text(errno) + " (looked for " + dir + ")");
    if (!S_ISDIR(st.st_mode) || ::access((dir + "/cgroup.procs").c_str(), F_OK) != 0)
        return fail("--cgroup " + path, dir + " is not a cgroup v2 directory (cgroup2 is mounted at " + root + ")");
    return CgroupDir{dir, st.st_ino};
}

Result<EnforceResult> enforce(const kt_enforce_config& config) {
    const UniqueFd lock = lock_pins();
    EnforceResult out;
    auto mounted = ensure_bpffs();
    if (!mounted) return std::unexpected(mounted.error());
    out.mounted_bpffs = *mounted;
    if (::mkdir(k_pin_root, 0700) != 0 && errno != EEXIST) return fail(k_pin_root, errno_text(errno));
    out.pin_dir = pin_dir_of(config.cgroup_id);
    if (::access((out.pin_dir + "/config").c_str(), F_OK) == 0) {
        // Already attached: new connections read the map, so changing it is enough.
        auto map = pinned(out.pin_dir + "/config");
        if (!map) return std::unexpected(map.error());
        const std::uint32_t zero = 0;
        kt_enforce_config next = config;
        kt_enforce_config before{};
        if (bpf_map_lookup_elem(map->get(), &zero, &before) == 0) {
            out.previous = read_enforce_config(before);
            next.since_unix = before.since_unix;  // enforced since then; only the values changed
        }
        if (bpf_map_update_elem(map->get(), &zero, &next, BPF_ANY) != 0)
            return fail(out.pin_dir + "/config", errno_text(errno));
        out.updated = true;
        return out;
    }
    remove_pins(out.pin_dir);  // what a run that died half-way may have left
    return attach_and_pin(config, out);
}

Result<void> preload_enforce() {
    {
        std::lock_guard lock(g_spare_mutex);
        if (g_spare) return {};
    }
    auto loaded = load_skeleton();
    if (!loaded) return std::unexpected(loaded.error());
    std::lock_guard lock(g_spare_mutex);
    if (g_spare)
        kt_enforce_bpf__destroy(*loaded);
    else
        g_spare = *loaded;
    return {};
}

Result<std::vector<EnforcedPin>> list_enforced() {
    std::vector<EnforcedPin> out;
    DIR* d = ::opendir(k_pin_root);
    if (!d) {
        if (errno == ENOENT) return out;
        return fail(k_pin_root, errno_text(errno));
    }
    std::vector<std::string> dirs;
    while (const dirent* e = ::readdir(d))
        if (std::string_view(e->d_name).starts_with("cgroup-")) dirs.push_back(std::string(k_pin_root) + "/" + e->d_name);
    ::closedir(d);
    const std::uint32_t zero = 0;
    for (const auto& dir : dirs) {
        auto map = pinned(dir + "/config");
        // Removed meanwhile by another run (enforce --remove, the agent's detach): not enforced.
        if (!map && ::access(dir.c_str(), F_OK) != 0) continue;
        if (!map) return std::unexpected(map.error());
        kt_enforce_config c{};
        if (bpf_map_lookup_elem(map->get(), &zero, &c) != 0) return fail(dir + "/config", errno_text(errno));
        EnforcedPin p{read_enforce_config(c), dir, false, 0, 0, 0};
        p.cgroup_exists = cgroup_still_there(p.config);
        if (auto stats = pinned(dir + "/stats")) {
            kt_enforce_stats s{};
            if (bpf_map_lookup_elem(stats->get(), &zero, &s) == 0) {
                p.applied = s.applied;
                p.failed = s.failed;
                p.rewritten = s.rewritten;
            }
        }
        out.push_back(std::move(p));
    }
    return out;
}

Result<bool> remove_enforced(std::uint64_t cgroup_id) {
    const UniqueFd lock = lock_pins();
    const std::string dir = pin_dir_of(cgroup_id);
    if (::access(dir.c_str(), F_OK) != 0) return false;
    for (const char* name : k_pins)
        if (::unlink((dir + "/" + name).c_str()) != 0 && errno != ENOENT) return fail(dir + "/" + name, errno_text(errno));
    if (::rmdir(dir.c_str()) != 0) return fail(dir, errno_text(errno));
    // The last cgroup's pins leave nothing behind: the shared marks go with them.
    bool others = false;
    if (DIR* d = ::opendir(k_pin_root)) {
        while (const dirent* e = ::readdir(d)) others = others || std::string_view(e->d_name).starts_with("cgroup-");
        ::closedir(d);
    }
    if (!others) {
        ::unlink(k_marks_pin.c_str());
        ::rmdir(k_pin_root);
    }
    return true;
}

}  // namespace kt::sys
