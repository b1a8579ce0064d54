// Wing core/config: readers of other programs' configurations. May include the wings up to timewait.
// What proxy configuration parsers share: where a token came from, and how included files are
// found. Parsers work on text; reading files and expanding globs is the caller's (src/sys).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/text/error.hpp"

namespace kt {

struct SourcePosition {
    std::string file;
    std::uint32_t line = 0;    // from 1
    std::uint32_t column = 0;  // from 1, in bytes

    // "file:line", as findings cite it.
    std::string file_line() const { return file + ":" + std::to_string(line); }
    // "file:line:column", as syntax errors cite it.
    std::string file_line_column() const { return file_line() + ":" + std::to_string(column); }
};

struct ConfigFile {
    std::string path;
    std::string text;
    // Named by an absolute include outside the audited file's directory and read from this
    // host's filesystem: for a configuration copied from elsewhere, not necessarily its own.
    bool from_this_host = false;
};

// The files an `include PATTERN` written in `including_file` names, in the order the proxy reads
// them; an error when the proxy would refuse (a missing file without glob characters).
using IncludeResolver =
    std::function<Result<std::vector<ConfigFile>>(std::string_view pattern, std::string_view including_file)>;

}  // namespace kt
