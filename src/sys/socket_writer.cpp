#include "sys/socket_writer.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cerrno>

#include "sys/files.hpp"

namespace kt::sys {

Result<void> SocketOptionWriter::write(const OptionWrite& w) {
    int level = IPPROTO_TCP, name = 0;
    switch (w.option) {
        case SocketOption::keepalive: level = SOL_SOCKET; name = SO_KEEPALIVE; break;
        case SocketOption::idle: name = TCP_KEEPIDLE; break;
        case SocketOption::interval: name = TCP_KEEPINTVL; break;
        case SocketOption::count: name = TCP_KEEPCNT; break;
        case SocketOption::user_timeout: name = TCP_USER_TIMEOUT; break;
    }
    const int value = static_cast<int>(w.value);
    if (::setsockopt(m_fd, level, name, &value, sizeof value) != 0)
        return fail(std::string(socket_option_name(w.option)) + "=" + std::to_string(w.value), "setsockopt: " + errno_text(errno));
    return {};
}

}  // namespace kt::sys
