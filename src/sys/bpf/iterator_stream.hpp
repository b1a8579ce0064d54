// An iterator pass read a chunk of whole records at a time, so that its memory is one chunk
// however many sockets or files it walks.
#pragma once

#include <bpf/libbpf.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>

#include "core/text/error.hpp"
#include "sys/record_stream.hpp"

namespace kt::sys {

// The pass of the iterator `link` makes in the calling thread's netns, handed to `on_chunk` a
// chunk of whole `record`-byte records at a time. With `beside`, a thread of its own reads it
// while this one hands the chunks over, at most `ahead` chunks ahead of it, so that what the
// caller does with each record runs beside the kernel's work instead of between its reads.
Result<void> stream_records(bpf_link* link, std::size_t record, bool beside, const ChunkReader& on_chunk,
                            std::size_t ahead = 8);

}  // namespace kt::sys
