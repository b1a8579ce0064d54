#include "sys/record_stream.hpp"

#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "sys/files.hpp"

namespace kt::sys {

namespace {
// Reads `fd` to its end a chunk at a time. A read may end inside a record: the rest of it
// waits at the start of the chunk.
Result<void> read_chunks(int fd, std::size_t record, const ChunkReader& on_chunk) {
    std::vector<std::uint8_t> chunk(1024 * record);
    std::size_t held = 0;
    for (int again = 0;;) {
        const ssize_t n = ::read(fd, chunk.data() + held, chunk.size() - held);
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

// A chunk's bytes, handed from the reading thread to the caller's and back for the next read.
struct Chunk {
    std::unique_ptr<std::uint8_t[]> bytes;
    std::size_t size = 0;  // whole records
};

// Between the thread that reads a pass and the caller's: chunks read, and chunks done with.
struct ChunkQueue {
    std::mutex lock;
    std::condition_variable changed;
    std::deque<Chunk> ready;
    std::vector<std::unique_ptr<std::uint8_t[]>> spare;
    bool ended = false, refused = false;
    Result<void> read;
};

// Reads `fd` to its end into chunks of `capacity` bytes handed over whole: the records are not
// copied on the reading thread (an iterator's own: the kernel's work runs in its reads). A read
// that ends inside a record carries the rest of it to the start of the next chunk.
Result<void> read_handing_over(int fd, std::size_t record, std::size_t capacity, std::size_t ahead, ChunkQueue& q) {
    auto fresh = [&] {
        std::lock_guard<std::mutex> held(q.lock);
        if (q.spare.empty()) return std::unique_ptr<std::uint8_t[]>(new std::uint8_t[capacity]);
        auto b = std::move(q.spare.back());
        q.spare.pop_back();
        return b;
    };
    auto buffer = fresh();
    std::size_t held = 0;
    for (int again = 0;;) {
        const ssize_t n = ::read(fd, buffer.get() + held, capacity - held);
        if (n == 0) break;
        if (n < 0) {
            if (errno == EINTR) continue;
            // As in read_chunks: the iterator resumes where it stopped.
            if (errno == EAGAIN && ++again < 1000) continue;
            return fail("BPF socket iterator", errno_text(errno));
        }
        held += static_cast<std::size_t>(n);
        const std::size_t whole = held / record * record;
        if (whole == 0) continue;
        auto next = fresh();
        std::memcpy(next.get(), buffer.get() + whole, held - whole);
        std::unique_lock<std::mutex> lock(q.lock);
        // A few chunks ahead at most: the memory stays a few chunks however large the pass.
        q.changed.wait(lock, [&] { return q.ready.size() < ahead || q.refused; });
        if (q.refused) return fail("BPF socket iterator", "its records were refused");
        q.ready.push_back({std::move(buffer), whole});
        q.changed.notify_all();
        lock.unlock();
        buffer = std::move(next);
        held -= whole;
    }
    if (held != 0) return fail("BPF socket iterator", "the pass ended inside a record");
    return {};
}
}  // namespace

Result<void> stream_fd_records(int fd, std::size_t record, bool beside, const ChunkReader& on_chunk,
                               std::size_t ahead) {
    if (!beside) return read_chunks(fd, record, on_chunk);
    ChunkQueue q;
    std::thread reader([&] {
        auto read = read_handing_over(fd, record, 1024 * record, ahead, q);
        std::lock_guard<std::mutex> held(q.lock);
        q.read = std::move(read);
        q.ended = true;
        q.changed.notify_all();
    });
    Result<void> r;
    for (;;) {
        Chunk chunk;
        {
            std::unique_lock<std::mutex> held(q.lock);
            q.changed.wait(held, [&] { return !q.ready.empty() || q.ended; });
            if (q.ready.empty()) break;
            chunk = std::move(q.ready.front());
            q.ready.pop_front();
            q.changed.notify_all();
        }
        if (r) {
            r = on_chunk({chunk.bytes.get(), chunk.size});
            if (!r) {
                std::lock_guard<std::mutex> held(q.lock);
                q.refused = true;
                q.changed.notify_all();
            }
        }
        std::lock_guard<std::mutex> held(q.lock);
        q.spare.push_back(std::move(chunk.bytes));
    }
    reader.join();
    if (r && !q.read) return std::unexpected(q.read.error());
    return r;
}

}  // namespace kt::sys
