#include "sys/socket_access.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#include "sys/files.hpp"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

namespace kt::sys {

namespace {
std::string where(std::int32_t pid, std::int32_t fd) { return "pid " + std::to_string(pid) + " fd " + std::to_string(fd); }

Result<std::uint32_t> int_option(int sock, int level, int name, const char* what) {
    int value = 0;
    socklen_t len = sizeof value;
    if (::getsockopt(sock, level, name, &value, &len) != 0)
        return fail(what, "getsockopt: " + errno_text(errno));
    return static_cast<std::uint32_t>(value);
}
}  // namespace

std::string explain_getfd_error(int err, std::int32_t pid, const std::string& proc_root) {
    std::string why = errno_text(err);
    if (err == ENOSYS)
        return why + "; pidfd_getfd needs Linux 5.6 or later";
    if (err == ESRCH) return "the process has exited";
    if (err == EBADF) return "the file descriptor is no longer open";
    if (err != EPERM && err != EACCES) return why;
    if (::geteuid() != 0)
        why += "; reaching another process's sockets needs CAP_SYS_PTRACE (run as root), or the same uid as a "
               "process that is still dumpable (daemons that changed uid are not)";
    else
        why += refusal_hint("");
    if (auto scope = read_text_file(proc_root + "/sys/kernel/yama/ptrace_scope", 64)) {
        const char level = scope->empty() ? '0' : (*scope)[0];
        if (level == '1') why += "; Yama ptrace_scope=1 also refuses processes that are not descendants";
        if (level == '2') why += "; Yama ptrace_scope=2 allows only CAP_SYS_PTRACE";
        if (level == '3') why += "; Yama ptrace_scope=3 refuses everyone until reboot";
    }
    (void)pid;
    return why;
}

Result<UniqueFd> duplicate_socket(std::int32_t pid, std::int32_t fd, std::uint32_t inode) {
    auto failed = [&](const char* call, int err) {
        return std::unexpected(Error{where(pid, fd), std::string(call) + ": " + explain_getfd_error(err, pid), err});
    };
    UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
    if (!pidfd) return failed("pidfd_open", errno);
    UniqueFd copy(static_cast<int>(::syscall(SYS_pidfd_getfd, pidfd.get(), fd, 0)));
    if (!copy) return failed("pidfd_getfd", errno);
    struct stat st {};
    if (::fstat(copy.get(), &st) != 0) return fail(where(pid, fd), "fstat: " + errno_text(errno));
    if (!S_ISSOCK(st.st_mode) && inode == 0) return std::unexpected(Error{where(pid, fd), "is not a socket", EBADF});
    if (!S_ISSOCK(st.st_mode) || (inode != 0 && st.st_ino != inode))
        return std::unexpected(Error{where(pid, fd),
                                     "is no longer socket " + std::to_string(inode) + " (the fd was closed and reused)", EBADF});
    return copy;
}

Result<SocketOptions> read_socket_options(int sock) {
    SocketOptions o;
    auto ka = int_option(sock, SOL_SOCKET, SO_KEEPALIVE, "SO_KEEPALIVE");
    if (!ka) return std::unexpected(ka.error());
    o.keepalive = *ka != 0;
    auto idle = int_option(sock, IPPROTO_TCP, TCP_KEEPIDLE, "TCP_KEEPIDLE");
    if (!idle) return std::unexpected(idle.error());
    o.idle_seconds = *idle;
    auto intvl = int_option(sock, IPPROTO_TCP, TCP_KEEPINTVL, "TCP_KEEPINTVL");
    if (!intvl) return std::unexpected(intvl.error());
    o.interval_seconds = *intvl;
    auto cnt = int_option(sock, IPPROTO_TCP, TCP_KEEPCNT, "TCP_KEEPCNT");
    if (!cnt) return std::unexpected(cnt.error());
    o.count = *cnt;
    auto uto = int_option(sock, IPPROTO_TCP, TCP_USER_TIMEOUT, "TCP_USER_TIMEOUT");
    if (!uto) return std::unexpected(uto.error());
    o.user_timeout_ms = *uto;
    return o;
}

}  // namespace kt::sys
