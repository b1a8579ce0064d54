#include "sys/bpf_errors.hpp"

#include <bpf/libbpf.h>
#include <unistd.h>

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <mutex>

#include "sys/files.hpp"

namespace kt::sys {

namespace {
std::mutex g_last_mutex;
std::string g_last_message;

int keep_last(enum libbpf_print_level level, const char* format, va_list args) {
    if (level == LIBBPF_DEBUG) return 0;
    char line[512];
    std::vsnprintf(line, sizeof line, format, args);
    std::string text(line);
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    std::lock_guard lock(g_last_mutex);
    g_last_message = text;
    return 0;
}
}  // namespace

void quiet_libbpf() { libbpf_set_print(keep_last); }

Error load_error(const std::string& what, int err) {
    std::string last;
    {
        std::lock_guard lock(g_last_mutex);
        last = g_last_message;
    }
    std::string why;
    if (last.find("vmlinux BTF") != std::string::npos || last.find("kernel BTF") != std::string::npos)
        why = "the kernel has no BTF (/sys/kernel/btf/vmlinux), which the BPF programs need";
    else if (err == EPERM || err == EACCES)
        why = geteuid() == 0 ? "the kernel refused bpf() to root: it needs CAP_BPF and CAP_PERFMON (CAP_SYS_ADMIN "
                               "on kernels before 5.8), and a seccomp profile or LSM may deny bpf()"
                             : "bpf() needs CAP_BPF and CAP_PERFMON (run as root)";
    else if (err == EINVAL || err == ENOTSUP || err == 524 /* ENOTSUPP */ || err == ENOENT || err == ESRCH)
        why = "the kernel cannot run it (iter/tcp needs Linux 5.9, bpf_setsockopt from it 5.15)";
    else
        why = errno_text(err);
    // libbpf's own words help only where the reason is not one of the above.
    if (!last.empty() && why == errno_text(err)) why += " (libbpf: " + last + ")";
    return {"BPF engine", "cannot load " + what + ": " + why, err};
}

}  // namespace kt::sys
