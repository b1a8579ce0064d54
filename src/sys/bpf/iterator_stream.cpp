#include "sys/bpf/iterator_stream.hpp"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "sys/files.hpp"
#include "sys/unique_fd.hpp"

namespace kt::sys {

namespace {
// Reads iterator `it` to its end a chunk at a time. A read may end inside a record: the rest
// of it waits at the start of the chunk.
Result<void> read_chunks(int it, std::size_t record, const ChunkReader& on_chunk) {
    std::vector<std::uint8_t> chunk(1024 * record);
    std::size_t held = 0;
    for (int again = 0;;) {
        const ssize_t n = ::read(it, chunk.data() + held, chunk.size() - held);
        if (n == 0) break;
        if (n < 0) {
            if (errno == EINTR) continue;
            // EAGAIN comes after a million objects without output (sockets of other
            // namespaces in a shared hash table): the iterator resumes where it stopped.
            if (errno == EAGAIN && ++again < 1000) continue;
            return fail("BPF socket iterator", errno_text(errno));
        }
        held += static_cast<std::size_t>(n);
        const std::size_t whole = held / record * record;
        if (auto r = on_chunk({chunk.data(), whole}); !r) return r;
        std::memmove(chunk.data(), chunk.data() + whole, held - whole);
        held -= whole;
    }
    if (held != 0) return fail("BPF socket iterator", "the pass ended inside a record");
    return {};
}
}  // namespace

// The iterator walks the namespace it was created in, whichever thread reads it.
Result<void> stream_records(bpf_link* link, std::size_t record, bool beside, const ChunkReader& on_chunk,
                            std::size_t ahead) {
    UniqueFd it(bpf_iter_create(bpf_link__fd(link)));
    if (!it) return fail("BPF socket iterator", errno_text(errno));
    if (!beside) return read_chunks(it.get(), record, on_chunk);
    struct Chunks {
        std::mutex lock;
        std::condition_variable changed;
        std::deque<std::vector<std::uint8_t>> ready;
        bool ended = false, refused = false;
        Result<void> read;
    } chunks;
    std::thread reader([&] {
        auto read = read_chunks(it.get(), record, [&](std::span<const std::uint8_t> bytes) -> Result<void> {
            std::unique_lock<std::mutex> held(chunks.lock);
            // A few chunks ahead at most: the memory stays a few chunks however large the pass.
            chunks.changed.wait(held, [&] { return chunks.ready.size() < ahead || chunks.refused; });
            if (chunks.refused) return fail("BPF socket iterator", "its records were refused");
            chunks.ready.emplace_back(bytes.begin(), bytes.end());
            chunks.changed.notify_all();
            return {};
        });
        std::lock_guard<std::mutex> held(chunks.lock);
        chunks.read = std::move(read);
        chunks.ended = true;
        chunks.changed.notify_all();
    });
    Result<void> r;
    for (;;) {
        std::vector<std::uint8_t> bytes;
        {
            std::unique_lock<std::mutex> held(chunks.lock);
            chunks.changed.wait(held, [&] { return !chunks.ready.empty() || chunks.ended; });
            if (chunks.ready.empty()) break;
            bytes = std::move(chunks.ready.front());
            chunks.ready.pop_front();
            chunks.changed.notify_all();
        }
        if (!r) continue;
        r = on_chunk(bytes);
        if (!r) {
            std::lock_guard<std::mutex> held(chunks.lock);
            chunks.refused = true;
            chunks.changed.notify_all();
        }
    }
    reader.join();
    if (r && !chunks.read) return std::unexpected(chunks.read.error());
    return r;
}

}  // namespace kt::sys
