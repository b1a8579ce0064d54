#include "render/chunk_writer.hpp"

namespace kt::render {

void ChunkWriter::json_string(std::string_view s) {
    static constexpr char k_hex[] = "0123456789abcdef";
    put('"');
    for (char c : s) {
        const auto u = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            put('\\');
            put(c);
        } else if (u < 0x20 || u >= 0x7f) {
            // Process names are bytes, not UTF-8: escape everything outside printable ASCII
            // so the document is always valid (bytes >= 0x80 become U+0080..U+00FF).
            const char esc[6] = {'\\', 'u', '0', '0', k_hex[u >> 4], k_hex[u & 15]};
            put(std::string_view(esc, 6));
        } else {
            put(c);
        }
    }
    put('"');
}

}  // namespace kt::render
