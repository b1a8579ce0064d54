// An output buffer for streams of rows: formatting appends to one large buffer, which is
// handed to a sink in big chunks. No allocation per row once the buffer has grown.
#pragma once

#include <charconv>
#include <cstdint>
#include <cstring>
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

    explicit ChunkWriter(ChunkSink& sink) : m_sink(sink) { m_buf.reserve(k_chunk + 4096); }
    ~ChunkWriter() { flush(); }
    ChunkWriter(const ChunkWriter&) = delete;
    ChunkWriter& operator=(const ChunkWriter&) = delete;

    void put(std::string_view s) { m_buf.append(s); }
    void put(char c) { m_buf.push_back(c); }
    void put_uint(std::uint64_t v) {
        char tmp[24];
        m_buf.append(tmp, static_cast<std::size_t>(std::to_chars(tmp, tmp + sizeof tmp, v).ptr - tmp));
    }
    // Left-aligned in `width` columns, then one space; longer text pushes the row right.
    void cell(std::string_view s, std::size_t width) {
        m_buf.append(s);
        m_buf.append(s.size() < width ? width - s.size() + 1 : 1, ' ');
    }
    void end_row() {
        while (!m_buf.empty() && m_buf.back() == ' ') m_buf.pop_back();
        m_buf.push_back('\n');
        if (m_buf.size() >= k_chunk) flush();
    }
    // A JSON string literal, escaped.
    void json_string(std::string_view s);
    void flush() {
        if (!m_buf.empty()) m_sink.write(m_buf);
        m_buf.clear();
    }

private:
    ChunkSink& m_sink;
    std::string m_buf;
};

}  // namespace kt::render
