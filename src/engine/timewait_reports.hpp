// The timewait report of each chosen network namespace, shared by `timewait` and `check`.
#pragma once

#include <vector>

#include "core/text/error.hpp"
#include "core/timewait/timewait_report.hpp"
#include "sys/netns.hpp"

namespace kt::engine {

using NetnsChoice = sys::NetnsChoice;

// One report per namespace. With several namespaces, one that cannot be read becomes a warning;
// with one, its error is the result. `merge_by_peer` merges local addresses (--by peer).
std::expected<std::vector<TimewaitReport>, Errors> timewait_reports(const NetnsChoice& choice, std::size_t top,
                                                                    bool merge_by_peer, Errors& warnings);

}  // namespace kt::engine
