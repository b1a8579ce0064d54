// Field values of proxy and Kubernetes YAML as the programs reading them decide: integers that
// proto-JSON may quote ("level": "1"), booleans in YAML 1.1 and 1.2 spellings, and Durations in
// protobuf ("0.5s", {seconds: 1, nanos: 5}) and Go / Gateway API ("1h30m", "500ms") forms.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/config/yaml_tree.hpp"
#include "core/text/error.hpp"

namespace kt {

// A whole number written bare or quoted (proto-JSON writes int64 as a string). Nothing for
// anything else.
std::optional<std::int64_t> yaml_integer(const YamlNode& n);

// true/false, also yes/no/on/off in any case (YAML 1.1). Nothing for anything else.
std::optional<bool> yaml_bool(const YamlNode& n);

// A Duration in nanoseconds: "60s", "0.5s", "1h30m", "500ms", "250us", or {seconds, nanos}.
// A bare number is seconds (Gloo's guide writes keepaliveTime: 60). The error's `what` is the
// position, `why` quotes the text.
Result<std::uint64_t> yaml_duration_ns(const YamlNode& n);

// A duration in nanoseconds for people: "1h", "500ms", "1.5s".
std::string format_duration_ns(std::uint64_t ns);

}  // namespace kt
