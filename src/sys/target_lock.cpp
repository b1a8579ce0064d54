#include "sys/target_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "sys/files.hpp"

namespace kt::sys {

namespace {
std::string default_dir() {
    if (::geteuid() == 0) return "/run/keepalive-tune";
    return "/tmp/keepalive-tune-" + std::to_string(::geteuid());
}

// Field 22 of /proc/PID/stat: when the process started, in clock ticks since boot.
std::string start_time(std::int32_t pid) {
    auto stat = read_text_file("/proc/" + std::to_string(pid) + "/stat", 4096);
    if (!stat) return "0";
    const auto paren = stat->rfind(')');
    if (paren == std::string::npos) return "0";
    std::size_t at = paren + 2;
    for (int field = 3; field < 22 && at < stat->size(); ++field) at = stat->find(' ', at) + 1;
    const auto end = stat->find(' ', at);
    return end == std::string::npos ? "0" : stat->substr(at, end - at);
}
}  // namespace

TargetLocks::TargetLocks(std::string run, std::string dir)
    : m_run(std::move(run)), m_dir(dir.empty() ? default_dir() : std::move(dir)) {}

TargetLocks::~TargetLocks() {
    // Removed while still locked: a run that opens the name afterwards gets a new file, and
    // one that opened the old file before checks after locking that it is still the one.
    for (const auto& [key, fd] : m_held) ::unlink((m_dir + "/" + key + ".lock").c_str());
}

Result<void> TargetLocks::lock_process(std::int32_t pid) {
    return lock("pid-" + std::to_string(pid) + "-" + start_time(pid), "pid " + std::to_string(pid));
}

Result<void> TargetLocks::lock_netns(std::uint64_t inode, const std::string& label) {
    return lock("netns-" + std::to_string(inode), "netns " + label);
}

Result<void> TargetLocks::lock(const std::string& key, const std::string& what) {
    for (const auto& [k, fd] : m_held)
        if (k == key) return {};
    if (::mkdir(m_dir.c_str(), 0700) != 0 && errno != EEXIST) return fail(m_dir, "cannot create the lock directory: " + errno_text(errno));
    const std::string path = m_dir + "/" + key + ".lock";
    UniqueFd fd;
    for (int attempt = 0;; ++attempt) {
        fd.reset(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
        if (!fd) return fail(path, errno_text(errno));
        if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) break;
        // Locked; but if the holder removed the file in between, the lock is on a file nobody
        // else will open: start again with the file that is there now.
        struct stat mine {}, there {};
        if (::fstat(fd.get(), &mine) == 0 && ::stat(path.c_str(), &there) == 0 && mine.st_ino == there.st_ino) {
            const std::string line = m_run + " (pid " + std::to_string(::getpid()) + ")\n";
            if (::ftruncate(fd.get(), 0) == 0) (void)!::pwrite(fd.get(), line.data(), line.size(), 0);
            m_held.emplace_back(key, std::move(fd));
            return {};
        }
        if (attempt == 10) return fail(path, "the lock file keeps being replaced");
    }
    const int err = errno;  // from flock
    if (err != EWOULDBLOCK) return fail(path, "flock: " + errno_text(err));
    auto holder = read_text_file(path, 4096);
    std::string who = holder && !holder->empty() ? *holder : "another keepalive-tune run";
    while (!who.empty() && who.back() == '\n') who.pop_back();
    return fail(what, "held by " + who + "; wait for it to end, or stop it (its lock is released when it exits)");
}

}  // namespace kt::sys
