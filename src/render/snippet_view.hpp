// How `profile render` looks: the snippets as they go into their files, or one JSON document;
// and the list of targets.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "core/profile/profile.hpp"
#include "core/snippet/render_target.hpp"

namespace kt::render {

// Every snippet with its comment header, a blank line between two.
std::string rendering_text(const Profile& p, std::string_view target, const Rendering& r);

// Schema keepalive-tune.render.v1: the profile, the target and side, the snippets (each with
// its text and caveats), every caveat once, and the values sockets end up with per side.
nlohmann::json rendering_json(const Profile& p, std::string_view target, const RenderOptions& o, const Rendering& r);

// One line per target: name, sides, what it renders.
std::string render_targets_text();
// Schema keepalive-tune.render-targets.v1.
nlohmann::json render_targets_json();

}  // namespace kt::render
