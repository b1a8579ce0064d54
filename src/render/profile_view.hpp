// How profiles and their budgets look, as text and as JSON.
#pragma once

#include <nlohmann/json.hpp>
#include <span>
#include <string>

#include "core/profile/budget.hpp"
#include "core/profile/profile.hpp"

namespace kt::render {

std::string profile_list_text(std::span<const Profile> profiles);
nlohmann::json profile_list_json(std::span<const Profile> profiles);

// Every field, the detection times, the holes, and the budget against `path`.
std::string profile_show_text(const Profile& p, std::span<const BudgetLine> budget);
nlohmann::json profile_show_json(const Profile& p, std::span<const BudgetLine> budget);

// Only the budget, for `profile check`.
std::string budget_text(const Profile& p, std::span<const BudgetLine> budget);
nlohmann::json budget_json(std::span<const BudgetLine> budget);

// "60/20/2" (idle/interval/count) or "off".
std::string keepalive_triplet(const KeepaliveSettings& ka);

// {"enabled", "idle_seconds", "interval_seconds", "count"}: a profile's keepalive in JSON.
nlohmann::json keepalive_json(const KeepaliveSettings& ka);

std::string detection_text(const Detection& d);

}  // namespace kt::render
