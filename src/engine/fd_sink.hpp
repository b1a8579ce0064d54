// Output chunks written straight to a file descriptor (stdout, or a --dump-raw file).
#pragma once

#include <unistd.h>

#include <cerrno>
#include <string_view>

#include "render/chunk_writer.hpp"

namespace kt::engine {

class FdSink : public render::ChunkSink {
public:
    explicit FdSink(int fd) : m_fd(fd) {}
    void write(std::string_view chunk) override {
        // A closed pipe (`| head`) ends the output quietly; the rest is dropped.
        while (!chunk.empty() && !m_broken) {
            const ssize_t n = ::write(m_fd, chunk.data(), chunk.size());
            if (n < 0) {
                if (errno == EINTR) continue;
                m_broken = true;
                break;
            }
            chunk.remove_prefix(static_cast<std::size_t>(n));
        }
    }
    bool broken() const { return m_broken; }

private:
    int m_fd;
    bool m_broken = false;
};

}  // namespace kt::engine
