#include "sys/socket_owners.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <charconv>
#include <cstdlib>

#include <sys/stat.h>

#include "sys/files.hpp"
#include "sys/socket_access.hpp"
#include "sys/unique_fd.hpp"

namespace kt::sys {

namespace {
std::size_t slot_of(std::uint32_t inode, std::size_t mask) {
    // Inodes are sequential; multiply to spread them over the table.
    return static_cast<std::size_t>((std::uint64_t{inode} * 0x9E3779B97F4A7C15ull) >> 20) & mask;
}


std::size_t open_files_on_system(const std::string& proc_root) {
    auto text = read_text_file(proc_root + "/sys/fs/file-nr", 4096);
    if (!text) return 1024;
    std::size_t n = 0;
    std::from_chars(text->data(), text->data() + text->size(), n);
    return std::max<std::size_t>(n, 1024);
}

// When /proc/PID/fd cannot be listed (another uid, without CAP_DAC_READ_SEARCH), every fd
// number below FDSize (from the world-readable /proc/PID/status) is tried with pidfd_getfd,
// which needs only ptrace access. Returns 0, or the errno that stopped it.
int scan_process_by_pidfd(const std::string& proc_root, std::int32_t pid, SocketOwnerIndex& index) {
    auto status = read_text_file(proc_root + "/" + std::to_string(pid) + "/status", 1 << 16);
    if (!status) return status.error().code ? status.error().code : EACCES;
    const auto at = status->find("\nFDSize:");
    if (at == std::string::npos) return EACCES;
    std::size_t fd_size = 0;
    const char* p = status->data() + at + 8;
    while (*p == ' ' || *p == '\t') ++p;
    std::from_chars(p, status->data() + status->size(), fd_size);
    fd_size = std::min<std::size_t>(fd_size, 1u << 20);
    bool owns_socket = false;
    for (std::size_t fd = 0; fd < fd_size; ++fd) {
        auto dup = duplicate_socket(pid, static_cast<std::int32_t>(fd), 0);
        if (!dup) {
            if (dup.error().code == EBADF) continue;  // not open, or not a socket
            return dup.error().code ? dup.error().code : EACCES;
        }
        struct stat st {};
        if (::fstat(dup->get(), &st) == 0 && S_ISSOCK(st.st_mode)) {
            index.insert(static_cast<std::uint32_t>(st.st_ino), SocketOwner{pid, static_cast<std::int32_t>(fd)});
            owns_socket = true;
        }
    }
    if (owns_socket) index.set_comm(pid, read_comm(proc_root, pid));
    return 0;
}

// Reads one process's fd table into the index. Returns 0, or the errno that stopped it.
int scan_process(const std::string& proc_root, std::int32_t pid, SocketOwnerIndex& index, bool named) {
    const std::string dir = proc_root + "/" + std::to_string(pid) + "/fd";
    UniqueFd dfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!dfd) {
        const int err = errno;
        // Only for processes named on the command line: trying every fd of every process on
        // the system would be slow and would say nothing new.
        if (named && (err == EACCES || err == EPERM)) return scan_process_by_pidfd(proc_root, pid, index);
        return err;
    }
    DIR* d = ::fdopendir(::dup(dfd.get()));
    if (!d) return errno;
    bool owns_socket = false;
    int refused = 0;
    char link[64];
    while (dirent* e = ::readdir(d)) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
        const ssize_t n = ::readlinkat(dfd.get(), e->d_name, link, sizeof link);
        if (n < 0 && (errno == EACCES || errno == EPERM)) refused = errno;
        if (n <= 0) continue;
        const std::uint32_t inode = socket_inode_of_link({link, static_cast<std::size_t>(n)});
        if (inode == 0) continue;
        index.insert(inode, SocketOwner{pid, std::atoi(e->d_name)});
        owns_socket = true;
    }
    ::closedir(d);
    // Root without CAP_SYS_PTRACE lists a root process's fd directory (it owns it) but may not
    // read the links: that is a refusal, not a process without sockets.
    if (refused && !owns_socket) return named ? scan_process_by_pidfd(proc_root, pid, index) : refused;
    if (owns_socket) index.set_comm(pid, read_comm(proc_root, pid));
    return 0;
}

}  // namespace

std::uint32_t socket_inode_of_link(std::string_view link) {
    constexpr std::string_view prefix = "socket:[";
    if (!link.starts_with(prefix) || !link.ends_with(']')) return 0;
    std::uint32_t inode = 0;
    const char* first = link.data() + prefix.size();
    const char* last = link.data() + link.size() - 1;
    auto [end, ec] = std::from_chars(first, last, inode);
    return (ec == std::errc() && end == last) ? inode : 0;
}

SocketOwnerIndex::SocketOwnerIndex(std::size_t expected) {
    m_slots.resize(std::bit_ceil(std::max<std::size_t>(16, expected * 2)));
}

void SocketOwnerIndex::grow() {
    std::vector<Slot> old(m_slots.size() * 2);
    old.swap(m_slots);
    m_size = 0;
    for (const auto& s : old)
        if (s.inode) insert(s.inode, s.owner);
}

void SocketOwnerIndex::insert(std::uint32_t inode, SocketOwner owner) {
    if (inode == 0) return;
    if ((m_size + 1) * 2 > m_slots.size()) grow();
    const std::size_t mask = m_slots.size() - 1;
    for (std::size_t i = slot_of(inode, mask);; i = (i + 1) & mask) {
        if (m_slots[i].inode == inode) return;  // shared after fork or SCM_RIGHTS: keep the first owner
        if (m_slots[i].inode == 0) {
            m_slots[i] = Slot{inode, owner};
            ++m_size;
            return;
        }
    }
}

const SocketOwner* SocketOwnerIndex::find(std::uint32_t inode) const {
    if (inode == 0) return nullptr;
    const std::size_t mask = m_slots.size() - 1;
    for (std::size_t i = slot_of(inode, mask);; i = (i + 1) & mask) {
        if (m_slots[i].inode == inode) return &m_slots[i].owner;
        if (m_slots[i].inode == 0) return nullptr;
    }
}

std::string_view SocketOwnerIndex::comm(std::int32_t pid) const {
    auto it = m_comms.find(pid);
    return it == m_comms.end() ? std::string_view() : std::string_view(it->second);
}

OwnerScan scan_socket_owners(const OwnerScanOptions& options) {
    OwnerScan scan{SocketOwnerIndex(options.pids.empty() ? open_files_on_system(options.proc_root) : 1024), 0, 0, {}, {}, {}};
    const bool selecting = !options.pids.empty() || !options.comms.empty();
    std::vector<bool> comm_seen(options.comms.size(), false);
    auto visit = [&](std::int32_t pid) -> int {
        if (!options.comms.empty()) {
            const auto comm = read_comm(options.proc_root, pid);
            const auto it = std::find(options.comms.begin(), options.comms.end(), comm);
            if (it == options.comms.end()) return 0;
            comm_seen[static_cast<std::size_t>(it - options.comms.begin())] = true;
        }
        if (selecting) scan.selected.push_back(pid);
        const int err = scan_process(options.proc_root, pid, scan.index, !options.pids.empty());
        if (err == 0) {
            ++scan.processes;
        } else {
            ++scan.unreadable;
            if (scan.unreadable_processes.size() < 5)
                scan.unreadable_processes.emplace_back(pid, read_comm(options.proc_root, pid));
        }
        return err;
    };
    if (!options.pids.empty()) {
        for (auto pid : options.pids) {
            const std::string dir = options.proc_root + "/" + std::to_string(pid);
            if (::access(dir.c_str(), F_OK) != 0) {
                scan.problems.push_back(Error{"--pid " + std::to_string(pid), "no such process"});
                continue;
            }
            if (const int err = visit(pid); err != 0)
                scan.problems.push_back(Error{"--pid " + std::to_string(pid),
                                              "cannot reach its sockets: " + explain_getfd_error(err, pid, options.proc_root),
                                              err});
        }
    } else {
        DIR* d = ::opendir(options.proc_root.c_str());
        if (!d) {
            scan.problems.push_back(Error{options.proc_root, errno_text(errno)});
            return scan;
        }
        while (dirent* e = ::readdir(d))
            if (is_pid_name(e->d_name)) visit(static_cast<std::int32_t>(std::atoi(e->d_name)));
        ::closedir(d);
    }
    // As apply and verify say it: an empty table would read as "this process has no sockets".
    for (std::size_t i = 0; i < options.comms.size(); ++i)
        if (!comm_seen[i] && scan.problems.empty())
            scan.problems.push_back(Error{"--comm " + options.comms[i],
                                          "no process has this name" +
                                              std::string(options.pids.empty() ? "" : " among the --pid processes") +
                                              " (see /proc/PID/comm, at most 15 characters)"});
    return scan;
}

}  // namespace kt::sys

namespace kt::sys {

OwnerScan owner_scan_of(const std::vector<SocketFile>& files) {
    OwnerScan scan{SocketOwnerIndex(files.size() + 1024), 0, 0, {}, {}, {}};
    std::int32_t last_pid = 0;
    // The iterator goes through processes in pid order and each one's fds in order, as the
    // /proc scan does: the first owner of a shared socket is the same.
    for (const auto& f : files) {
        if (f.pid != last_pid) {
            ++scan.processes;
            scan.index.set_comm(f.pid, f.comm);
            last_pid = f.pid;
        }
        scan.index.insert(f.inode, {f.pid, f.fd});
    }
    return scan;
}

std::string unreadable_owners_text(const OwnerScan& scan) {
    std::string named;
    for (const auto& [pid, comm] : scan.unreadable_processes)
        named += (named.empty() ? "" : ", ") + std::string("pid ") + std::to_string(pid) + (comm.empty() ? "" : " " + comm);
    if (scan.unreadable > scan.unreadable_processes.size())
        named += " and " + std::to_string(scan.unreadable - scan.unreadable_processes.size()) + " more";
    return "the file descriptors of " + std::to_string(scan.unreadable) + " process(es) could not be read (" + named + ")";
}

}  // namespace kt::sys
