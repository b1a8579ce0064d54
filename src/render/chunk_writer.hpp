// An output buffer for streams of rows: formatting appends to one large buffer, which is
// handed to a sink in big chunks. No allocation per row; the per-socket path is memcpy and
// to_chars into a plain array (PERFORMANCE.md: about 180 ns a socket is the whole budget).
#pragma once

#include <charconv>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

namespace kt::render {

class ChunkSink {
public:
    virtual ~ChunkSink() = default;
    virtual void write(std::string_view chunk) = 0;
};

// Collects everything in memory (tests, and outputs that are written atomically).
class StringSink : public ChunkSink {
public:
    void write(std::string_view chunk) override { text.append(chunk); }
    std::string text;
};

class ChunkWriter {
public:
    static constexpr std::size_t k_chunk = 256 * 1024;
    // Room past k_chunk for the largest single put: a row is flushed after, never split.
    static constexpr std::size_t k_slack = 64 * 1024;

    explicit ChunkWriter(ChunkSink& sink) : m_sink(sink), m_buf(new char[k_chunk + k_slack]) {}
    ~ChunkWriter() { flush(); }
    ChunkWriter(const ChunkWriter&) = delete;
    ChunkWriter& operator=(const ChunkWriter&) = delete;

    void put(std::string_view s) {
        if (m_pos + s.size() > k_chunk + k_slack) {
            flush();
            if (s.size() > k_chunk) {  // larger than the buffer: straight through
                m_sink.write(s);
                return;
            }
        }
        std::memcpy(m_buf.get() + m_pos, s.data(), s.size());
        m_pos += s.size();
    }
    void put(char c) {
        if (m_pos + 1 > k_chunk + k_slack) flush();
        m_buf[m_pos++] = c;
    }
    void put_uint(std::uint64_t v) {
        if (m_pos + 24 > k_chunk + k_slack) flush();
        m_pos = static_cast<std::size_t>(std::to_chars(m_buf.get() + m_pos, m_buf.get() + m_pos + 24, v).ptr - m_buf.get());
    }
    // Left-aligned in `width` columns, then one space; longer text pushes the row right.
    void cell(std::string_view s, std::size_t width) {
        const std::size_t pad = s.size() < width ? width - s.size() + 1 : 1;
        if (m_pos + s.size() + pad > k_chunk + k_slack) flush();
        std::memcpy(m_buf.get() + m_pos, s.data(), s.size());
        std::memset(m_buf.get() + m_pos + s.size(), ' ', pad);
        m_pos += s.size() + pad;
    }
    void end_row() {
        while (m_pos > 0 && m_buf[m_pos - 1] == ' ') --m_pos;
        put('\n');
        if (m_pos >= k_chunk) flush();
    }
    // A JSON string literal, escaped.
    void json_string(std::string_view s);
    void flush() {
        if (m_pos) m_sink.write({m_buf.get(), m_pos});
        m_pos = 0;
    }

private:
    ChunkSink& m_sink;
    std::unique_ptr<char[]> m_buf;
    std::size_t m_pos = 0;
};

}  // namespace kt::render
