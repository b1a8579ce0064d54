// Aligned text tables for people; column widths come from the content.
#pragma once

#include <string>
#include <vector>

namespace kt::render {

class Table {
public:
    explicit Table(std::vector<std::string> header) : m_rows{std::move(header)} {}
    void add(std::vector<std::string> row) { m_rows.push_back(std::move(row)); }
    // Two spaces between columns; the last column is not padded.
    std::string str() const;

private:
    std::vector<std::vector<std::string>> m_rows;
};

}  // namespace kt::render
