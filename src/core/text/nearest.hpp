// "Did you mean": the closest name to a misspelt one, for flags, subcommands, keys and ids.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace kt {

// Edit distance (insertions, deletions, substitutions and adjacent swaps).
std::size_t edit_distance(std::string_view a, std::string_view b);

// The candidate closest to `word`, if it is close enough to be a plausible typo
// (distance at most a third of the longer word, at least 1) or `word` is a prefix of it.
std::optional<std::string> nearest_name(std::string_view word, std::span<const std::string_view> candidates);
std::optional<std::string> nearest_name(std::string_view word, std::span<const std::string> candidates);

// ` (did you mean "x"?)` or empty.
std::string did_you_mean(std::string_view word, std::span<const std::string_view> candidates);
std::string did_you_mean(std::string_view word, std::span<const std::string> candidates);

}  // namespace kt
