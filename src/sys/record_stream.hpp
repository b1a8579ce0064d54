// A descriptor read to its end in whole fixed-size records, a chunk at a time (a BPF iterator's
// pass: sys/bpf/iterator_stream), so that the memory is a few chunks however long it is.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>

#include "core/text/error.hpp"

namespace kt::sys {

using ChunkReader = std::function<Result<void>(std::span<const std::uint8_t>)>;

// `fd` to its end, handed to `on_chunk` a chunk of whole `record`-byte records at a time; a
// read that ends inside a record carries the rest of it to the next chunk, and an end inside
// one is an error. With `beside`, a thread of its own reads while this one hands the chunks
// over, at most `ahead` chunks ahead of it, each chunk read into a buffer that is handed over
// as it is (the reading thread copies only a split record). An error from `on_chunk` stops
// the reading after the read under way and is the result.
Result<void> stream_fd_records(int fd, std::size_t record, bool beside, const ChunkReader& on_chunk,
                               std::size_t ahead = 8);

}  // namespace kt::sys
