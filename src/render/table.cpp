#include "render/table.hpp"

#include <algorithm>

namespace kt::render {

std::string Table::str() const {
    std::vector<std::size_t> width;
    for (const auto& row : m_rows) {
        if (width.size() < row.size()) width.resize(row.size(), 0);
        for (std::size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
    }
    std::string out;
    for (const auto& row : m_rows) {
        for (std::size_t i = 0; i < row.size(); ++i) {
            out += row[i];
            if (i + 1 < row.size()) out.append(width[i] - row[i].size() + 2, ' ');
        }
        out += '\n';
    }
    return out;
}

}  // namespace kt::render
