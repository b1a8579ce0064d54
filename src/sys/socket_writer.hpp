// setsockopt on a socket (a pidfd_getfd copy acts on the target's own socket).
#pragma once

#include "core/change/option_io.hpp"

namespace kt::sys {

class SocketOptionWriter : public OptionWriter {
public:
    explicit SocketOptionWriter(int fd) : m_fd(fd) {}
    Result<void> write(const OptionWrite& w) override;

private:
    int m_fd;
};

}  // namespace kt::sys
