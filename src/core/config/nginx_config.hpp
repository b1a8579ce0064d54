// nginx configuration as nginx reads it (src/core/ngx_conf_file.c, ngx_conf_read_token): words
// separated by blanks, single and double quotes, backslash escapes, `#` comments at the start of
// a word, `;` ending a directive, `{` `}` around a block, `${var}` inside a word, and `include`
// spliced in where it stands.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/config/config_source.hpp"
#include "core/text/error.hpp"

namespace kt {

struct NginxDirective {
    std::string name;
    std::vector<std::string> args;  // unquoted and unescaped as nginx does
    SourcePosition at;              // of the directive's name
    bool has_block = false;
    std::vector<NginxDirective> block;
};

// A file an absolute include took from this host rather than from beside the audited file.
struct NginxHostInclude {
    std::string file;
    SourcePosition included_at;
};

struct NginxConfig {
    std::vector<NginxDirective> top;  // the main context
    std::vector<std::string> files;   // every file read, the main one first
    std::vector<NginxHostInclude> host_includes;
};

// Parses `text` read from `file`; `include` goes through `resolve` (nullptr: include is an error).
// A syntax error says file:line:column and what nginx would say.
Result<NginxConfig> parse_nginx_config(std::string_view text, std::string_view file, const IncludeResolver& resolve);

// The words of one file without includes (for tests and the fuzzer): the same tokenizer.
Result<std::vector<NginxDirective>> parse_nginx_text(std::string_view text, std::string_view file);

}  // namespace kt
