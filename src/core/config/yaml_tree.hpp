// YAML (and so JSON) text as a plain tree with positions: the one place core uses yaml-cpp.
// Scalars stay text; what `on`, `"1"` or `60s` mean is for the code that reads a field
// (core/yaml_values.hpp), since YAML 1.1 booleans and proto-JSON's quoted int64 differ from
// what a YAML library would decide.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "core/config/config_source.hpp"
#include "core/text/error.hpp"

namespace kt {

struct YamlNode {
    enum class Kind { null, scalar, sequence, mapping };
    Kind kind = Kind::null;
    std::string scalar;             // the text of a scalar, unquoted
    bool quoted = false;            // a scalar written in quotes
    std::vector<std::string> keys;  // a mapping's keys (non-scalar keys as "")
    std::vector<YamlNode> items;    // a sequence's items, or a mapping's values (parallel to keys)
    SourcePosition at;  // of the value; for a collection under a key, of the key

    bool is_mapping() const { return kind == Kind::mapping; }
    bool is_sequence() const { return kind == Kind::sequence; }
    bool is_scalar() const { return kind == Kind::scalar; }
    // The value of `key` in a mapping (the first, if repeated), or nullptr.
    const YamlNode* get(std::string_view key) const;
    // get() along a path of keys.
    const YamlNode* path(std::initializer_list<std::string_view> keys) const;
};

// Every document of `text` (a `---` stream; JSON is one document). An error says
// "file:line:column" and why; no exception leaves this function. Anchors and aliases are
// expanded, up to a bound on the number of nodes.
Result<std::vector<YamlNode>> parse_yaml_documents(std::string_view text, std::string_view file);

// The same for a YAML document held in a string field of another (an Istio ConfigMap's `mesh`):
// lines are shifted so that line 1 of `text` is `first_line` of `file`; columns are the text's.
Result<std::vector<YamlNode>> parse_embedded_yaml(std::string_view text, std::string_view file,
                                                  std::uint32_t first_line);

}  // namespace kt
