// Endpoints in JSON, one shape for every document the tool writes or reads:
// {"address": "127.0.0.1", "port": 45001}. A listener's peer is {"address": "0.0.0.0", "port": 0}.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>

#include "core/socket_record.hpp"

namespace kt {

nlohmann::json endpoint_json(const Endpoint& e);

// The object above, or nullopt when it is not one.
std::optional<Endpoint> endpoint_from_json(const nlohmann::json& j);

// "127.0.0.1:80", "[::1]:80", "*:80", "*:*" (as format_endpoint writes them), for documents
// written before endpoints were objects.
std::optional<Endpoint> endpoint_from_text(std::string_view text);

}  // namespace kt
