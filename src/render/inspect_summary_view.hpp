// `inspect --summary` as text and JSON.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "core/socket/inspect_summary.hpp"

namespace kt::render {

std::string inspect_summary_text(const InspectSummary& s, const std::string& netns, std::int32_t pid,
                                 const std::string& comm);
nlohmann::json inspect_summary_json(const InspectSummary& s, const std::string& netns, std::uint64_t inode);

}  // namespace kt::render
