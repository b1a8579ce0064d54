#include "render/netns_identity_view.hpp"

namespace kt::render {

void add_identity_json(nlohmann::json& object, const NetnsIdentity& id) {
    auto text = [](const std::string& s) { return s.empty() ? nlohmann::json() : nlohmann::json(s); };
    object["hostname"] = text(id.hostname);
    object["container_id"] = text(id.container_id);
    object["container_runtime"] = text(id.runtime);
    object["container_ids"] = id.container_ids;
    object["pod_uid"] = text(id.pod_uid);
    object["pod"] = text(id.pod);
}

}  // namespace kt::render
