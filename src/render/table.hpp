// Aligned text tables for people; column widths come from the content.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kt::render {

class Table {
public:
    explicit Table(const std::vector<std::string>& header) { add(header); }
    void add(const std::vector<std::string>& row);
    // A row cell by cell, each appended in place (tables of half a million sockets), then
    // end_row().
    void cell(std::string_view text);
    void cell(std::int64_t number);
    void end_row();
    // Room for `rows` more rows of about `bytes` of text each, before a table of many.
    void reserve(std::size_t rows, std::size_t cells, std::size_t bytes);
    // Two spaces between columns; the last column is not padded.
    std::string str() const;

private:
    // The cells one after another in one string, with each cell's length and each row's cell
    // count: a table of half a million sockets is four million cells, and a string apiece
    // cost more than writing them out.
    std::string m_text;
    std::vector<std::uint32_t> m_lengths;
    std::vector<std::uint32_t> m_row_cells;
    std::uint32_t m_open_cells = 0;  // cells of the row being built
};

}  // namespace kt::render
