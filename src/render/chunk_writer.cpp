#include "render/chunk_writer.hpp"

namespace kt::render {

void ChunkWriter::json_string(std::string_view s) {
    static constexpr char k_hex[] = "0123456789abcdef";
    m_buf.push_back('"');
    for (char c : s) {
        const auto u = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            m_buf.push_back('\\');
            m_buf.push_back(c);
        } else if (u < 0x20 || u >= 0x7f) {
            // Process names are bytes, not UTF-8: escape everything outside printable ASCII
            // so the document is always valid (bytes >= 0x80 become U+0080..U+00FF).
            m_buf.append("\\u00");
            m_buf.push_back(k_hex[u >> 4]);
            m_buf.push_back(k_hex[u & 15]);
        } else {
            m_buf.push_back(c);
        }
    }
    m_buf.push_back('"');
}

}  // namespace kt::render
