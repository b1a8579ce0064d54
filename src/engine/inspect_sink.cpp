#include "engine/inspect_sink.hpp"

#include "sys/socket_access.hpp"

namespace kt::engine {

void InspectSink::begin_netns(std::string label, bool listeners_known) {
    m_netns = std::move(label);
    m_listeners_known = listeners_known;
    if (!listeners_known) m_listeners.clear();
    m_summary = {};
}

void InspectSink::on_socket(const SocketRecord& s) {
    const bool listener = s.state == static_cast<std::uint8_t>(TcpState::listen);
    // Without a listener pass, listeners arrive first in the dump (inet_diag_dump_icsk walks
    // the listening hash before the established one), so every later socket sees them all.
    if (listener && !m_listeners_known) m_listeners.add(s);

    const InspectQuery& q = *m_config.query;
    if (m_config.filter_in_user_space) {
        if (s.state > k_tcp_state_max || !(q.states & (StateMask{1} << s.state))) return;
        if (q.family && s.family != q.family) return;
        if (!q.kernel.matches(s)) return;
    }
    const SocketRole role = m_listeners.role_of(s);
    if (!(q.roles & role_bit(role))) return;
    if (!q.idle_matches(s)) return;

    const sys::SocketOwner* owner = m_config.owners ? m_config.owners->find(s.inode) : nullptr;
    if (m_config.only_owned && !owner) return;

    KeepaliveObserved observed = observe_keepalive(s);
    SocketOptions exact;
    bool have_exact = false;
    std::string exact_error;
    std::uint8_t inherited = 0;
    if (m_config.exact && m_config.kernel_exact) {
        if (auto found = m_config.kernel_exact->find(s.cookie)) {
            exact = found->options;
            have_exact = true;
            inherited = static_cast<std::uint8_t>((found->idle_inherited ? render::k_inherited_idle : 0) |
                                                  (found->interval_inherited ? render::k_inherited_interval : 0) |
                                                  (found->count_inherited ? render::k_inherited_count : 0));
            ++m_exact.read;
        }
    } else if (m_config.exact && owner) {
        auto dup = sys::duplicate_socket(owner->pid, owner->fd, s.inode);
        auto options = dup ? sys::read_socket_options(dup->get()) : Result<SocketOptions>(std::unexpected(dup.error()));
        if (options) {
            exact = *options;
            have_exact = true;
            ++m_exact.read;
        } else {
            exact_error = options.error().line();
            if (m_exact.failed++ == 0) m_exact.first_reason = exact_error;
        }
    }
    if (!q.keepalive_matches(observed)) {
        // A listener's keepalive is invisible to sock_diag; with --exact its option decides.
        const bool exact_listener_match =
            listener && have_exact &&
            ((q.keepalive == KeepaliveFilter::on && exact.keepalive) || (q.keepalive == KeepaliveFilter::off && !exact.keepalive));
        if (!exact_listener_match) return;
    }

    ++m_rows;
    if (m_config.owners && !owner && s.inode != 0) ++m_unowned;
    if (m_config.output == InspectOutput::summary) {
        m_summary.add(s, role, observed);
        return;
    }
    render::SocketOwnerView owner_view;
    if (owner) owner_view = {owner->pid, owner->fd, m_config.owners->comm(owner->pid)};
    render::SocketRow row{&s,          role,    observed, owner ? &owner_view : nullptr, have_exact ? &exact : nullptr,
                          exact_error, m_netns, m_config.kernel_exact != nullptr, inherited};
    if (m_config.output == InspectOutput::table) {
        m_config.table->row(row);
    } else {
        if (m_rows > 1) m_config.out->put(",\n");
        render::socket_json(*m_config.out, row, m_config.show_owners, m_config.exact, m_config.idle);
    }
}

}  // namespace kt::engine
