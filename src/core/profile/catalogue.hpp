// The catalogue of middleboxes (load balancers, NATs, conntrack tables) whose idle timeouts a
// keepalive profile has to beat. The data lives in data/middleboxes.json, compiled in.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/text/error.hpp"

namespace kt {

struct Middlebox {
    std::string id;    // stable, used in profiles' "path"
    std::string name;  // for people
    std::uint32_t idle_timeout_seconds = 0;
    std::string configurable;           // "60-6000 s", "no", ...
    bool refreshed_by_keepalive = true;  // false: only application data resets its idle timer
    std::string note;
};

// The embedded JSON text (generated from data/middleboxes.json).
std::string_view middlebox_catalogue_json();

// Parses and checks a catalogue document; `source` names it in errors.
Result<std::vector<Middlebox>> parse_middlebox_catalogue(std::string_view text, std::string_view source);

// The compiled-in catalogue, parsed once. The build's own tests prove it parses.
std::span<const Middlebox> middlebox_catalogue();

const Middlebox* find_middlebox(std::span<const Middlebox> catalogue, std::string_view id);

}  // namespace kt
