// Comma-separated flag values ("listener,upstream", "established,time-wait").
#pragma once

#include <string_view>
#include <vector>

namespace kt {

// The non-empty items of `list`, in order ("a,,b" -> a, b).
inline std::vector<std::string_view> split_words(std::string_view list) {
    std::vector<std::string_view> words;
    std::size_t start = 0;
    while (start <= list.size()) {
        auto comma = list.find(',', start);
        if (comma == std::string_view::npos) comma = list.size();
        if (comma > start) words.push_back(list.substr(start, comma - start));
        start = comma + 1;
    }
    return words;
}

}  // namespace kt
