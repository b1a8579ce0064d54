#include "sys/record_stream.hpp"

#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "sys/files.hpp"

namespace kt::sys {

namespace {
using Buffer = std::unique_ptr<std::uint8_t[]>;
// Given a buffer whose first `whole` bytes are whole records, takes them and gives back the
// buffer the next read goes into: the same one once done with, or another.
using HandOver = std::function<Result<Buffer>(Buffer, std::size_t whole)>;

// Reads `fd` to its end into buffers of `capacity` bytes. A read may end inside a record: the
// rest of it is carried to the start of the buffer the next read goes into.
Result<void> read_records(int fd, std::size_t record, std::size_t capacity, Buffer buffer, const HandOver& hand_over) {
    std::vector<std::uint8_t> split(record);
    std::size_t held = 0;
    for (int again = 0;;) {
        const ssize_t n = ::read(fd, buffer.get() + held, capacity - held);
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
        if (whole == 0) continue;
        held -= whole;
        std::memcpy(split.data(), buffer.get() + whole, held);
        auto next = hand_over(std::move(buffer), whole);
        if (!next) return std::unexpected(next.error());
        buffer = std::move(*next);
        std::memcpy(buffer.get(), split.data(), held);
    }
    if (held != 0) return fail("BPF socket iterator", "the pass ended inside a record");
    return {};
}

// A chunk's bytes, handed from the reading thread to the caller's and back for the next read.
struct Chunk {
    Buffer bytes;
    std::size_t size = 0;  // whole records
};

// Between the thread that reads a pass and the caller's: chunks read, and chunks done with.
struct ChunkQueue {
    std::mutex lock;
    std::condition_variable changed;
    std::deque<Chunk> ready;
    std::vector<Buffer> spare;
    bool ended = false, refused = false;
    Result<void> read;
};

// Reads `fd` to its end, handing each buffer over whole to the caller's thread: the records are
// not copied on the reading thread (an iterator's own: the kernel's work runs in its reads).
Result<void> read_handing_over(int fd, std::size_t record, std::size_t capacity, std::size_t ahead, ChunkQueue& q) {
    auto fresh = [&] {
        std::lock_guard<std::mutex> held(q.lock);
        if (q.spare.empty()) return Buffer(new std::uint8_t[capacity]);
        auto b = std::move(q.spare.back());
        q.spare.pop_back();
        return b;
    };
    return read_records(fd, record, capacity, fresh(), [&](Buffer full, std::size_t whole) -> Result<Buffer> {
        auto next = fresh();
        std::unique_lock<std::mutex> lock(q.lock);
        // A few chunks ahead at most: the memory stays a few chunks however large the pass.
        q.changed.wait(lock, [&] { return q.ready.size() < ahead || q.refused; });
        if (q.refused) return fail("BPF socket iterator", "its records were refused");
        q.ready.push_back({std::move(full), whole});
        q.changed.notify_all();
        return next;
    });
}
}  // namespace

Result<void> stream_fd_records(int fd, std::size_t record, bool beside, const ChunkReader& on_chunk,
                               std::size_t ahead) {
    const std::size_t capacity = 1024 * record;
    if (!beside)
        return read_records(fd, record, capacity, Buffer(new std::uint8_t[capacity]),
                            [&](Buffer full, std::size_t whole) -> Result<Buffer> {
                                if (auto r = on_chunk({full.get(), whole}); !r) return std::unexpected(r.error());
                                return full;
                            });
    ChunkQueue q;
    std::thread reader([&] {
        auto read = read_handing_over(fd, record, capacity, ahead, q);
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
