// The JSON shapes shared by every document the tool writes or reads, so a quantity looks the
// same everywhere. Endpoints: {"address": "127.0.0.1", "port": 45001} (a listener's peer is
// {"address": "0.0.0.0", "port": 0}); socket options: so_keepalive, idle_seconds, ...
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>

#include "core/socket/socket_options.hpp"
#include "core/socket/socket_record.hpp"

namespace kt {

nlohmann::json endpoint_json(const Endpoint& e);

// {"so_keepalive": true, "idle_seconds": 60, "interval_seconds": 20, "count": 2, "user_timeout_ms": 0}
nlohmann::json options_json(const SocketOptions& o);

// The object above, or nullopt when it is not one.
std::optional<Endpoint> endpoint_from_json(const nlohmann::json& j);

// "127.0.0.1:80", "[::1]:80", "*:80", "*:*" (as format_endpoint writes them), for documents
// written before endpoints were objects.
std::optional<Endpoint> endpoint_from_text(std::string_view text);

}  // namespace kt
