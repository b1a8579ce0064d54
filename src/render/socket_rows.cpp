#include "render/socket_rows.hpp"

#include <algorithm>

#include "core/health/health.hpp"
#include "core/socket/ip_text.hpp"
#include "core/socket/tcp_state.hpp"
#include "core/text/duration.hpp"

namespace kt::render {

namespace {
constexpr std::size_t k_w_netns = 16, k_w_state = 11, k_w_role = 8, k_w_endpoint = 23, k_w_keepalive = 14,
                      k_w_next = 9, k_w_probes = 7, k_w_pid = 7, k_w_fd = 5, k_w_comm = 15, k_w_num = 6;

std::string_view uint_text(char* buf, std::uint64_t v) {
    return {buf, static_cast<std::size_t>(std::to_chars(buf, buf + 24, v).ptr - buf)};
}
}  // namespace

void SocketTable::header() { m_header = true; }

void SocketTable::row(const SocketRow& r) {
    if (m_settled) {
        write_row(r);
        return;
    }
    HeldRow h{*r.record, r.role,       r.keepalive, r.owner != nullptr,    {}, {}, r.exact != nullptr, {},
              r.inheritance_known, r.inherited, std::string(r.netns)};
    if (r.owner) {
        h.owner = *r.owner;
        h.comm = std::string(r.owner->comm);
    }
    if (r.exact) h.exact = *r.exact;
    m_held.push_back(std::move(h));
    if (m_held.size() >= k_settle_rows) settle();
}

void SocketTable::finish() {
    if (!m_settled) settle();
    if (m_showed_inherited)
        m_out.put("* not set on the socket: the network namespace's net.ipv4.tcp_keepalive_* applies\n");
}

void SocketTable::settle() {
    m_settled = true;
    char buf[k_max_endpoint_text];
    m_local_width = m_peer_width = k_w_endpoint;
    for (const auto& h : m_held) {
        m_local_width = std::max(m_local_width, format_endpoint(buf, h.record.local));
        m_peer_width = std::max(m_peer_width, format_endpoint(buf, h.record.peer));
    }
    if (m_header) write_header();
    for (auto& h : m_held) {
        h.owner.comm = h.comm;
        const SocketRow r{&h.record, h.role, h.keepalive, h.has_owner ? &h.owner : nullptr, h.has_exact ? &h.exact : nullptr,
                          {}, h.netns, h.inheritance_known, h.inherited};
        write_row(r);
    }
    m_held.clear();
    m_held.shrink_to_fit();
}

void SocketTable::write_header() {
    if (m_columns.netns) m_out.cell("NETNS", k_w_netns);
    m_out.cell("STATE", k_w_state);
    m_out.cell("ROLE", k_w_role);
    m_out.cell("LOCAL", m_local_width);
    m_out.cell("PEER", m_peer_width);
    m_out.cell("KEEPALIVE", k_w_keepalive);
    m_out.cell("NEXT", k_w_next);
    m_out.cell("PROBES", k_w_probes);
    if (m_columns.processes) {
        m_out.cell("PID", k_w_pid);
        m_out.cell("FD", k_w_fd);
        m_out.cell("COMM", k_w_comm);
    }
    if (m_columns.idle) {
        m_out.cell("IDLE", k_w_next);
        m_out.cell("RECV", k_w_next);
        m_out.cell("SENT", k_w_next);
        m_out.cell("ACKED", k_w_next);
        m_out.cell("UNACKED", k_w_num + 2);
        m_out.cell("RETRANS", k_w_num + 2);
    }
    if (m_columns.exact) {
        m_out.cell("SO_KA", k_w_num);
        m_out.cell("IDLE", k_w_num);
        m_out.cell("INTVL", k_w_num);
        m_out.cell("CNT", k_w_num);
        m_out.cell("UTO_MS", k_w_num);
    }
    m_out.end_row();
}

void SocketTable::write_row(const SocketRow& r) {
    const SocketRecord& s = *r.record;
    char buf[k_max_endpoint_text];
    if (m_columns.netns) m_out.cell(r.netns, k_w_netns);
    m_out.cell(tcp_state_name(s.state), k_w_state);
    m_out.cell(role_name(r.role), k_w_role);
    m_out.cell({buf, format_endpoint(buf, s.local)}, m_local_width);
    m_out.cell({buf, format_endpoint(buf, s.peer)}, m_peer_width);
    m_out.cell(keepalive_observed_name(r.keepalive), k_w_keepalive);
    if (r.keepalive == KeepaliveObserved::armed) {
        m_out.cell({buf, format_duration_ms_to(buf, s.expires_ms)}, k_w_next);
        m_out.cell(uint_text(buf, s.retrans), k_w_probes);
    } else {
        m_out.cell("-", k_w_next);
        m_out.cell("-", k_w_probes);
    }
    if (m_columns.processes) {
        if (r.owner) {
            m_out.cell(uint_text(buf, static_cast<std::uint64_t>(r.owner->pid)), k_w_pid);
            m_out.cell(uint_text(buf, static_cast<std::uint64_t>(r.owner->fd)), k_w_fd);
            m_out.cell(r.owner->comm, k_w_comm);
        } else {
            // No file holds it: waiting in a listener's accept queue, or closed by its owner
            // and finishing on its own (an orphan); otherwise a process this scan cannot see.
            const bool fileless = s.inode == 0;
            const bool queued = fileless && r.role == SocketRole::accepted &&
                                (s.state == static_cast<std::uint8_t>(TcpState::established) ||
                                 s.state == static_cast<std::uint8_t>(TcpState::close_wait));
            m_out.cell("-", k_w_pid);
            m_out.cell("-", k_w_fd);
            m_out.cell(queued ? "(queued)" : is_orphan(s) ? "(orphan)" : "-", k_w_comm);
        }
    }
    if (m_columns.idle) {
        if (s.has_info) {
            m_out.cell({buf, format_duration_ms_to(buf, s.info.idle_ms())}, k_w_next);
            m_out.cell({buf, format_duration_ms_to(buf, s.info.last_data_recv_ms)}, k_w_next);
            m_out.cell({buf, format_duration_ms_to(buf, s.info.last_data_sent_ms)}, k_w_next);
            m_out.cell({buf, format_duration_ms_to(buf, s.info.last_ack_recv_ms)}, k_w_next);
            m_out.cell(uint_text(buf, s.info.unacked), k_w_num + 2);
            m_out.cell(uint_text(buf, s.info.retransmits), k_w_num + 2);
        } else {
            for (int i = 0; i < 4; ++i) m_out.cell("-", k_w_next);
            m_out.cell("-", k_w_num + 2);
            m_out.cell("-", k_w_num + 2);
        }
    }
    if (m_columns.exact) {
        if (r.exact) {
            m_out.cell(r.exact->keepalive ? "on" : "off", k_w_num);
            // A trailing '*': the socket did not set it, the netns sysctl applies (BPF engine).
            auto value = [&](std::uint64_t v, std::uint8_t bit) {
                auto text = uint_text(buf, v);
                if (!(r.inherited & bit)) return text;
                m_showed_inherited = true;
                buf[text.size()] = '*';
                return std::string_view(buf, text.size() + 1);
            };
            m_out.cell(value(r.exact->idle_seconds, k_inherited_idle), k_w_num);
            m_out.cell(value(r.exact->interval_seconds, k_inherited_interval), k_w_num);
            m_out.cell(value(r.exact->count, k_inherited_count), k_w_num);
            m_out.cell(uint_text(buf, r.exact->user_timeout_ms), k_w_num);
        } else {
            for (int i = 0; i < 5; ++i) m_out.cell("-", k_w_num);
        }
    }
    m_out.end_row();
}

namespace {
void endpoint_json(ChunkWriter& out, const Endpoint& e) {
    char buf[k_max_endpoint_text];
    out.put("{\"address\":\"");
    out.put({buf, format_ip(buf, e.address)});
    out.put("\",\"port\":");
    out.put_uint(e.port);
    out.put('}');
}
}  // namespace

void socket_json(ChunkWriter& out, const SocketRow& r, bool with_owner, bool with_exact, bool with_idle) {
    const SocketRecord& s = *r.record;
    out.put("{\"netns\":");
    out.json_string(r.netns);
    out.put(",\"family\":\"");
    out.put(family_name(s.family));
    out.put("\",\"state\":\"");
    out.put(tcp_state_name(s.state));
    out.put("\",\"role\":\"");
    out.put(role_name(r.role));
    out.put("\",\"local\":");
    endpoint_json(out, s.local);
    out.put(",\"peer\":");
    endpoint_json(out, s.peer);
    out.put(",\"inode\":");
    out.put_uint(s.inode);
    out.put(",\"uid\":");
    out.put_uint(s.uid);
    // A 64-bit cookie does not survive JSON numbers (doubles) in most readers: a string.
    out.put(",\"cookie\":\"");
    out.put_uint(s.cookie);
    out.put("\",\"timer\":{\"kind\":\"");
    static constexpr std::string_view k_timers[] = {"none", "retransmit", "keepalive", "time-wait", "zero-window"};
    const auto t = static_cast<std::size_t>(s.timer);
    out.put(t < 5 ? k_timers[t] : "unknown");
    out.put("\",\"expires_ms\":");
    out.put_uint(s.expires_ms);
    out.put(",\"retrans\":");
    out.put_uint(s.retrans);
    out.put("},\"keepalive\":{\"observed\":\"");
    out.put(r.keepalive == KeepaliveObserved::not_applicable ? "not-applicable" : keepalive_observed_name(r.keepalive));
    out.put('"');
    if (r.keepalive == KeepaliveObserved::armed) {
        out.put(",\"next_ms\":");
        out.put_uint(s.expires_ms);
        out.put(",\"unanswered_probes\":");
        out.put_uint(s.retrans);
    }
    out.put('}');
    if (with_idle) {
        out.put(",\"idle\":");
        if (s.has_info) {
            out.put("{\"ms\":");
            out.put_uint(s.info.idle_ms());
            out.put(",\"last_data_recv_ms\":");
            out.put_uint(s.info.last_data_recv_ms);
            out.put(",\"last_data_sent_ms\":");
            out.put_uint(s.info.last_data_sent_ms);
            out.put(",\"last_ack_recv_ms\":");
            out.put_uint(s.info.last_ack_recv_ms);
            out.put(",\"unacked\":");
            out.put_uint(s.info.unacked);
            out.put(",\"retransmits\":");
            out.put_uint(s.info.retransmits);
            out.put(",\"total_retrans\":");
            out.put_uint(s.info.total_retrans);
            out.put('}');
        } else {
            out.put("null");
        }
    }
    if (with_owner) {
        out.put(",\"process\":");
        if (r.owner) {
            out.put("{\"pid\":");
            out.put_uint(static_cast<std::uint64_t>(r.owner->pid));
            out.put(",\"fd\":");
            out.put_uint(static_cast<std::uint64_t>(r.owner->fd));
            out.put(",\"comm\":");
            out.json_string(r.owner->comm);
            out.put('}');
        } else {
            out.put("null");
        }
    }
    if (with_exact) {
        out.put(",\"exact\":");
        if (r.exact) {
            out.put("{\"so_keepalive\":");
            out.put(r.exact->keepalive ? "true" : "false");
            out.put(",\"idle_seconds\":");
            out.put_uint(r.exact->idle_seconds);
            out.put(",\"interval_seconds\":");
            out.put_uint(r.exact->interval_seconds);
            out.put(",\"count\":");
            out.put_uint(r.exact->count);
            out.put(",\"user_timeout_ms\":");
            out.put_uint(r.exact->user_timeout_ms);
            // null: the engine (pidfd) cannot tell a set value from an inherited one.
            out.put(",\"inherited\":");
            if (!r.inheritance_known) {
                out.put("null");
            } else {
                out.put('[');
                const char* sep = "";
                for (auto [bit, name] : {std::pair{k_inherited_idle, "\"idle_seconds\""},
                                         std::pair{k_inherited_interval, "\"interval_seconds\""},
                                         std::pair{k_inherited_count, "\"count\""}})
                    if (r.inherited & bit) {
                        out.put(sep);
                        out.put(name);
                        sep = ",";
                    }
                out.put(']');
            }
            out.put('}');
        } else if (!r.exact_error.empty()) {
            out.put("{\"error\":");
            out.json_string(r.exact_error);
            out.put('}');
        } else {
            out.put("null");
        }
    }
    out.put('}');
}

}  // namespace kt::render
