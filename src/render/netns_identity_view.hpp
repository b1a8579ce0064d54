// The container fields every JSON netns object carries.
#pragma once

#include <nlohmann/json.hpp>

#include "core/socket/container_identity.hpp"

namespace kt::render {

// Adds "hostname", "container_id", "container_runtime", "container_ids", "pod_uid" and "pod"
// to `object` (null, or [] for the list, when not known).
void add_identity_json(nlohmann::json& object, const NetnsIdentity& id);

}  // namespace kt::render
