// kt_bench_bpf_floor: one BPF iterator pass with nothing around it, the floor of the BPF
// engine's rows in kt_bench. Run inside the population's namespace (the socket iterator walks
// the namespace of the task that creates it).
//
//   kt_bench_bpf_floor read                    every socket's options
//   kt_bench_bpf_floor owners                  every process's socket files
//   kt_bench_bpf_floor apply IDLE INTERVAL COUNT
//                                              those values on every socket
//
// Prints the number of bytes the pass returned; exits 1 with the reason when it cannot run.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include "kt_floor.skel.h"

namespace {
int quiet(libbpf_print_level, const char*, va_list) { return 0; }

int fail(const std::string& what) {
    std::fprintf(stderr, "kt_bench_bpf_floor: %s: %s\n", what.c_str(), std::strerror(errno));
    return 1;
}
}  // namespace

int main(int argc, char** argv) {
    const std::string mode = argc > 1 ? argv[1] : "";
    if (!(mode == "read" || mode == "owners" || (mode == "apply" && argc == 5))) {
        std::fprintf(stderr, "usage: kt_bench_bpf_floor read | owners | apply IDLE INTERVAL COUNT\n");
        return 2;
    }
    libbpf_set_print(quiet);
    std::unique_ptr<kt_floor_bpf, void (*)(kt_floor_bpf*)> skel(kt_floor_bpf__open(), kt_floor_bpf__destroy);
    if (!skel) return fail("open");
    if (mode == "apply") {
        skel->rodata->floor_idle = std::atoi(argv[2]);
        skel->rodata->floor_interval = std::atoi(argv[3]);
        skel->rodata->floor_count = std::atoi(argv[4]);
    }
    // Only the program that runs is loaded, as keepalive-tune loads only what it reads with.
    bpf_program* wanted = mode == "read" ? skel->progs.floor_read
                          : mode == "owners" ? skel->progs.floor_owners
                                             : skel->progs.floor_apply;
    for (bpf_program* p : {skel->progs.floor_read, skel->progs.floor_owners, skel->progs.floor_apply})
        bpf_program__set_autoload(p, p == wanted);
    if (kt_floor_bpf__load(skel.get()) != 0) return fail("load");
    std::unique_ptr<bpf_link, int (*)(bpf_link*)> link(bpf_program__attach_iter(wanted, nullptr), bpf_link__destroy);
    if (!link) return fail("attach");
    const int it = bpf_iter_create(bpf_link__fd(link.get()));
    if (it < 0) return fail("iterator");
    static char buffer[256 * 1024];
    unsigned long long bytes = 0;
    // EAGAIN after a million objects without output (floor_apply writes nothing): go on.
    for (int again = 0;;) {
        const ssize_t n = ::read(it, buffer, sizeof buffer);
        if (n > 0) bytes += static_cast<unsigned long long>(n);
        if (n > 0) continue;
        if (n == 0) break;
        if (errno == EINTR || (errno == EAGAIN && ++again < 1000)) continue;
        return fail("read");
    }
    ::close(it);
    std::printf("%llu\n", bytes);
    return 0;
}
