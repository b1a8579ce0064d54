// Changing one socket's options, all or nothing: the writes go through a small interface
// (setsockopt on a pidfd_getfd copy in production, a recording fake in tests).
#pragma once

#include <optional>
#include <vector>

#include "core/change/apply_plan.hpp"
#include "core/text/error.hpp"

namespace kt {

// Writes options of one socket.
class OptionWriter {
public:
    virtual ~OptionWriter() = default;
    virtual Result<void> write(const OptionWrite& w) = 0;
};

struct SocketChange {
    std::size_t writes_done = 0;
    std::optional<Error> error;           // the write that failed
    bool rolled_back = false;             // the socket was put back to its before values
    std::optional<Error> rollback_error;  // putting it back failed too: the socket is in between
    bool ok() const { return !error; }
};

// Runs `sequence`; on the first failure, writes back the before values of what was written.
SocketChange change_socket(OptionWriter& writer, const std::vector<OptionWrite>& sequence, const SocketOptions& before);

}  // namespace kt
