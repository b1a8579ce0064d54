#include "core/text/nearest.hpp"

#include <algorithm>
#include <vector>

namespace kt {

std::size_t edit_distance(std::string_view a, std::string_view b) {
    // Optimal string alignment distance; three rows are enough for adjacent swaps.
    std::vector<std::size_t> prev2(b.size() + 1), prev(b.size() + 1), cur(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        cur[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost});
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                cur[j] = std::min(cur[j], prev2[j - 2] + 1);
        }
        std::swap(prev2, prev);
        std::swap(prev, cur);
    }
    return prev[b.size()];
}

namespace {
// "cnt" for "count", "intvl" for "interval": the letters in order, starting alike.
bool abbreviates(std::string_view word, std::string_view candidate) {
    if (word.size() < 2 || word.size() >= candidate.size() || word.front() != candidate.front()) return false;
    std::size_t at = 0;
    for (const char c : candidate)
        if (at < word.size() && word[at] == c) ++at;
    return at == word.size();
}

template <class Name>
std::optional<std::string> nearest_of(std::string_view word, std::span<const Name> candidates) {
    std::optional<std::string> best;
    std::size_t best_distance = 0;
    for (const auto& candidate_name : candidates) {
        const std::string_view candidate{candidate_name};
        if (candidate.empty() || candidate == word) continue;
        std::size_t d = edit_distance(word, candidate);
        const std::size_t limit = std::max<std::size_t>(1, std::max(word.size(), candidate.size()) / 3);
        const bool prefix = word.size() >= 2 && candidate.starts_with(word);
        if (prefix) d = std::min<std::size_t>(d, 1);
        const bool abbreviation = !prefix && abbreviates(word, candidate);
        if (abbreviation) d = std::min<std::size_t>(d, limit + 1);
        if (d > limit && !prefix && !abbreviation) continue;
        if (!best || d < best_distance) {
            best = std::string(candidate);
            best_distance = d;
        }
    }
    return best;
}
}  // namespace

std::optional<std::string> nearest_name(std::string_view word, std::span<const std::string_view> candidates) {
    return nearest_of(word, candidates);
}
std::optional<std::string> nearest_name(std::string_view word, std::span<const std::string> candidates) {
    return nearest_of(word, candidates);
}

std::string did_you_mean(std::string_view word, std::span<const std::string_view> candidates) {
    auto n = nearest_name(word, candidates);
    return n ? " (did you mean \"" + *n + "\"?)" : std::string();
}
std::string did_you_mean(std::string_view word, std::span<const std::string> candidates) {
    auto n = nearest_name(word, candidates);
    return n ? " (did you mean \"" + *n + "\"?)" : std::string();
}

}  // namespace kt
