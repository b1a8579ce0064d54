// Output chunks written straight to a file descriptor (stdout, or a --dump-raw file), or
// through standard output's buffer.
#pragma once

#include <unistd.h>

#include <cerrno>
#include <string_view>

#include "engine/socket_engine.hpp"
#include "render/apply_view.hpp"
#include "render/chunk_writer.hpp"
#include "sys/output.hpp"

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

// Chunks through write_out, so that they stay in order with the lines written around them.
class StdoutSink : public render::ChunkSink {
public:
    void write(std::string_view chunk) override { write_out(chunk); }
};

// apply's and verify's table of a preparation's reports on standard output, a chunk at a time.
inline void write_reports_text(const Preparation& prep) {
    StdoutSink sink;
    render::ChunkWriter out(sink);
    render::write_socket_reports(out, prep.report_count(), [&prep](std::size_t i) -> const render::SocketReport& {
        return prep.report(i);
    });
}

}  // namespace kt::engine
