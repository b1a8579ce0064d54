// The keepalive Envoy's messages give a connection, with the network namespace's defaults for
// what they leave unset: shared by the Envoy and Kubernetes audits.
#pragma once

#include <string>
#include <vector>

#include "core/audit/audit.hpp"
#include "core/config/envoy_fields.hpp"

namespace kt::envoy_fields {

// The keepalive raw socket options give; "off" when none turns SO_KEEPALIVE on.
EffectiveKeepalive keepalive_from_socket_options(const std::vector<SocketOption>& options, const NetnsKeepalive& netns);

// The keepalive a TcpKeepalive message gives on `version`: on, with unset fields from the netns;
// a field at 0 turns it off from 1.37 (envoy PR #41934).
EffectiveKeepalive keepalive_from_message(const TcpKeepalive& k, const NetnsKeepalive& netns, bool zero_disables);

// A netns-or-explicit source text, as the nginx and HAProxy audits write it.
std::string source_text(int own_fields, const NetnsKeepalive& netns);

}  // namespace kt::envoy_fields
