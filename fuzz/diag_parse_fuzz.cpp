// libFuzzer target: arbitrary bytes through the sock_diag reply parser (tcp_info included),
// then every decoded record through the formatting and classification code the table uses
// and the health verdict against a path.
#include <cstddef>
#include <cstdint>

#include "core/health/health.hpp"
#include "core/socket/diag_parse.hpp"
#include "core/socket/ip_text.hpp"
#include "core/socket/keepalive_observed.hpp"
#include "core/socket/socket_role.hpp"
#include "core/socket/tcp_state.hpp"
#include "core/text/duration.hpp"

namespace {
class Exercise : public kt::SocketSink {
public:
    void on_socket(const kt::SocketRecord& s) override {
        char buf[kt::k_max_endpoint_text];
        m_total += kt::format_endpoint(buf, s.local) + kt::format_endpoint(buf, s.peer);
        m_total += kt::format_duration_ms_to(buf, s.expires_ms);
        m_total += kt::tcp_state_name(s.state).size();
        m_total += static_cast<std::size_t>(kt::observe_keepalive(s));
        if (s.state == static_cast<std::uint8_t>(kt::TcpState::listen)) m_listeners.add(s);
        m_total += static_cast<std::size_t>(m_listeners.role_of(s));
        const kt::SocketOptions exact{true, 2, 1, 3, 4000};
        for (const kt::SocketOptions* e : {static_cast<const kt::SocketOptions*>(nullptr), &exact}) {
            const auto j = kt::judge_connection(s, {&m_path, e, {}});
            m_total += j.reason.size() + static_cast<std::size_t>(j.verdict);
        }
        if (auto idle = kt::idle_before_peer_close_ms(s)) m_total += static_cast<std::size_t>(*idle);
    }
    std::size_t m_total = 0;

private:
    kt::ListenerIndex m_listeners;
    kt::NetworkPath m_path{{"short", 3000, true}, {"alb", 60000, false}};
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    Exercise sink;
    kt::DiagProgress progress;
    auto r = kt::parse_diag_chunk({data, size}, kt::DiagExpect{}, sink, progress);
    if (!r) (void)kt::kernel_errno_of(r.error());
    return 0;
}
