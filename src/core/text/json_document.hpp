// Parsing JSON text that people write by hand: errors carry line and column, and
// duplicate keys (which nlohmann::json would silently collapse) are reported.
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

#include "core/text/error.hpp"

namespace kt {

// Parses `text`; `source` (a file name) prefixes every error, as "source:line:column".
// A duplicate key makes the parse fail, since the reader cannot know which value was meant.
Result<nlohmann::json> parse_json_document(std::string_view text, std::string_view source);

// "/a/b/0" style location for error messages (RFC 6901 escaping).
std::string json_path(std::string_view parent, std::string_view key);

}  // namespace kt
