#include "core/change/option_io.hpp"

namespace kt {

SocketChange change_socket(OptionWriter& writer, const std::vector<OptionWrite>& sequence, const SocketOptions& before) {
    SocketChange change;
    for (const auto& w : sequence) {
        if (auto r = writer.write(w); !r) {
            change.error = r.error();
            break;
        }
        ++change.writes_done;
    }
    if (!change.error) return change;
    for (const auto& w : rollback_sequence(before, sequence, change.writes_done)) {
        if (auto r = writer.write(w); !r) {
            change.rollback_error = r.error();
            return change;
        }
    }
    change.rolled_back = true;
    return change;
}

}  // namespace kt
