#include "sys/bpf/iterator_stream.hpp"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <cerrno>

#include "sys/files.hpp"
#include "sys/unique_fd.hpp"

namespace kt::sys {

// The iterator walks the namespace it was created in, whichever thread reads it.
Result<void> stream_records(bpf_link* link, std::size_t record, bool beside, const ChunkReader& on_chunk,
                            std::size_t ahead) {
    UniqueFd it(bpf_iter_create(bpf_link__fd(link)));
    if (!it) return fail("BPF socket iterator", errno_text(errno));
    return stream_fd_records(it.get(), record, beside, on_chunk, ahead);
}

}  // namespace kt::sys
