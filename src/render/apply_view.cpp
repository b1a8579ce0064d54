#include "render/apply_view.hpp"

#include "core/socket/ip_text.hpp"
#include "core/socket/json_shapes.hpp"
#include "core/socket/tcp_state.hpp"
#include "render/table.hpp"

namespace kt::render {

const char* outcome_name(SocketOutcome o) {
    switch (o) {
        case SocketOutcome::planned: return "change";
        case SocketOutcome::compliant: return "compliant";
        case SocketOutcome::changed: return "changed";
        case SocketOutcome::failed: return "FAILED";
        case SocketOutcome::rolled_back: return "FAILED, restored";
        case SocketOutcome::gone: return "gone";
        case SocketOutcome::drift: return "DRIFT";
        case SocketOutcome::restored: return "restored";
    }
    return "?";
}

std::string socket_reports_text(const std::vector<SocketReport>& reports) {
    Table t({"PID", "FD", "ROLE", "STATE", "LOCAL", "PEER", "RESULT", "DETAILS"});
    t.reserve(reports.size(), 8, 128);
    std::string details;  // one buffer for every row's
    char endpoint[k_max_endpoint_text];
    for (const auto& r : reports) {
        const auto& s = r.item.socket;
        details.clear();
        append_drift_text(details, r.item);
        for (const auto& n : r.notes) details.append(details.empty() ? "" : ", ").append(n);
        if (r.error) details.append(details.empty() ? "" : "; ").append(r.error->line());
        t.cell(s.pid);
        // No fd: a connection still in the accept queue of the process's listener.
        if (s.fd < 0) t.cell("queued");
        else t.cell(s.fd);
        t.cell(r.role_known ? role_name(s.role) : "-");
        t.cell(tcp_state_name(s.state));
        t.cell(std::string_view(endpoint, format_endpoint(endpoint, s.local)));
        t.cell(std::string_view(endpoint, format_endpoint(endpoint, s.peer)));
        t.cell(outcome_name(r.outcome));
        t.cell(details.empty() ? std::string_view("-") : std::string_view(details));
        t.end_row();
    }
    return t.str();
}

const char* outcome_json_name(SocketOutcome o) {
    static constexpr const char* k_results[] = {"planned", "compliant", "changed", "failed",
                                                "rolled-back", "gone",      "drift",   "restored"};
    return k_results[static_cast<int>(o)];
}

nlohmann::json socket_report_json(const SocketReport& r, std::string_view current_key) {
    const auto& s = r.item.socket;
    return {{"pid", s.pid},
            {"fd", s.fd < 0 ? nlohmann::json() : nlohmann::json(s.fd)},
            {"inode", s.inode},
            {"role", r.role_known ? nlohmann::json(std::string(role_name(s.role))) : nlohmann::json()},
            {"state", std::string(tcp_state_name(s.state))},
            {"local", endpoint_json(s.local)},
            {"peer", endpoint_json(s.peer)},
            {std::string(current_key), r.before_read ? options_json(r.item.before) : nlohmann::json()},
            {"target", options_json(r.item.after)},
            {"drift", drift_texts(r.item)},
            {"notes", r.notes},
            {"result", outcome_json_name(r.outcome)},
            {"error", r.error ? nlohmann::json(r.error->line()) : nlohmann::json()}};
}

}  // namespace kt::render
