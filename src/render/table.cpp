#include "render/table.hpp"

#include <algorithm>
#include <charconv>

namespace kt::render {

void Table::add(const std::vector<std::string>& row) {
    for (const auto& text : row) cell(text);
    end_row();
}

void Table::cell(std::string_view text) {
    m_text += text;
    m_lengths.push_back(static_cast<std::uint32_t>(text.size()));
    ++m_open_cells;
}

void Table::cell(std::int64_t number) {
    char buf[24];
    cell(std::string_view(buf, static_cast<std::size_t>(std::to_chars(buf, buf + sizeof buf, number).ptr - buf)));
}

void Table::reserve(std::size_t rows, std::size_t cells, std::size_t bytes) {
    m_text.reserve(m_text.size() + rows * bytes);
    m_lengths.reserve(m_lengths.size() + rows * cells);
    m_row_cells.reserve(m_row_cells.size() + rows);
}

void Table::end_row() {
    m_row_cells.push_back(m_open_cells);
    m_open_cells = 0;
}

std::string Table::str() const {
    std::vector<std::size_t> width;
    std::size_t cell = 0;
    for (const auto cells : m_row_cells) {
        if (width.size() < cells) width.resize(cells, 0);
        for (std::size_t i = 0; i < cells; ++i) width[i] = std::max<std::size_t>(width[i], m_lengths[cell++]);
    }
    std::string out;
    out.reserve(m_text.size() + m_row_cells.size() * (width.size() * 2 + 1));
    cell = 0;
    std::size_t at = 0;
    for (const auto cells : m_row_cells) {
        for (std::size_t i = 0; i < cells; ++i, ++cell) {
            const std::size_t n = m_lengths[cell];
            out.append(m_text, at, n);
            at += n;
            if (i + 1 < cells) out.append(width[i] - n + 2, ' ');
        }
        out += '\n';
    }
    return out;
}

}  // namespace kt::render
