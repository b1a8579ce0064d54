// haproxy.cfg as HAProxy reads it (src/cfgparse.c, parse_line): one keyword line per line, words
// split on blanks, `#` comments, backslash escapes, "double" and 'single' quotes, and sections
// opened by their keyword (global, defaults, frontend, backend, listen, ...).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/config/config_source.hpp"
#include "core/text/error.hpp"

namespace kt {

struct HaproxyLine {
    std::vector<std::string> words;  // unquoted; "${VAR}" kept as written
    SourcePosition at;               // of the first word
};

struct HaproxySection {
    std::string kind;  // "global", "defaults", "frontend", "backend", "listen", "peers", ...
    std::string name;  // empty for global and unnamed defaults
    std::string from;  // `from NAME`: the defaults section it takes its values from
    SourcePosition at;
    std::vector<HaproxyLine> lines;
};

struct HaproxyConfig {
    std::vector<HaproxySection> sections;
    // Where .if/.elif/.else blocks (HAProxy 2.4) are: their lines are kept, every branch's,
    // since conditions (environment variables, versions) are not evaluated here.
    std::vector<SourcePosition> conditionals;
};

// Sections and their lines; an error (file:line:column) for an unmatched quote, a keyword before
// the first section, or a section header HAProxy refuses.
Result<HaproxyConfig> parse_haproxy_config(std::string_view text, std::string_view file);

}  // namespace kt
