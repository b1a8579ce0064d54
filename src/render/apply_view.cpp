#include "render/apply_view.hpp"

#include <algorithm>
#include <charconv>

#include "core/socket/ip_text.hpp"
#include "core/socket/json_shapes.hpp"
#include "core/socket/tcp_state.hpp"

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

namespace {
constexpr std::size_t k_report_columns = 8;
constexpr const char* k_report_header[k_report_columns] = {"PID", "FD", "ROLE", "STATE", "LOCAL", "PEER", "RESULT", "DETAILS"};

// One row's cells, formatted into buffers that the next row reuses.
struct ReportCells {
    std::string_view cell[k_report_columns];

    void fill(const SocketReport& r) {
        const auto& s = r.item.socket;
        details.clear();
        append_drift_text(details, r.item);
        for (const auto& n : r.notes) details.append(details.empty() ? "" : ", ").append(n);
        if (r.error) details.append(details.empty() ? "" : "; ").append(r.error->line());
        cell[0] = number(pid, s.pid);
        // No fd: a connection still in the accept queue of the process's listener.
        cell[1] = s.fd < 0 ? std::string_view("queued") : number(fd, s.fd);
        cell[2] = r.role_known ? role_name(s.role) : "-";
        cell[3] = tcp_state_name(s.state);
        cell[4] = std::string_view(local, format_endpoint(local, s.local));
        cell[5] = std::string_view(peer, format_endpoint(peer, s.peer));
        cell[6] = outcome_name(r.outcome);
        cell[7] = details.empty() ? std::string_view("-") : std::string_view(details);
    }

private:
    static std::string_view number(char (&buf)[16], std::int32_t v) {
        return {buf, static_cast<std::size_t>(std::to_chars(buf, buf + sizeof buf, v).ptr - buf)};
    }
    char pid[16], fd[16];
    char local[k_max_endpoint_text], peer[k_max_endpoint_text];
    std::string details;
};
}  // namespace

struct SocketReportStream::Cells : ReportCells {};

SocketReportStream::SocketReportStream(ChunkWriter& out) : m_out(out), m_cells(std::make_unique<Cells>()) {
    static_assert(sizeof(m_width) / sizeof(m_width[0]) == k_report_columns);
    for (std::size_t c = 0; c < k_report_columns; ++c) m_width[c] = std::string_view(k_report_header[c]).size();
}

SocketReportStream::~SocketReportStream() = default;

void SocketReportStream::add(const SocketReport& r) {
    if (m_settled) {
        m_cells->fill(r);
        put(m_cells->cell);
        return;
    }
    m_cells->fill(r);
    for (std::size_t c = 0; c < k_report_columns; ++c) m_width[c] = std::max(m_width[c], m_cells->cell[c].size());
    m_held.push_back(r);
    if (m_held.size() == k_settled_report_rows) settle();
}

void SocketReportStream::finish() {
    if (!m_settled) settle();
}

// The widths are known: the header, then the rows held for them.
void SocketReportStream::settle() {
    std::string_view header[k_report_columns];
    for (std::size_t c = 0; c < k_report_columns; ++c) header[c] = k_report_header[c];
    put(header);
    for (const auto& r : m_held) {
        m_cells->fill(r);
        put(m_cells->cell);
    }
    std::vector<SocketReport>().swap(m_held);
    m_settled = true;
}

// Two spaces between columns, the last one unpadded.
void SocketReportStream::put(const std::string_view* cells) {
    for (std::size_t c = 0; c + 1 < k_report_columns; ++c) m_out.cell(cells[c], m_width[c] + 1);
    m_out.put(cells[k_report_columns - 1]);
    m_out.end_row();
}

void write_socket_reports(ChunkWriter& out, std::size_t count, const ReportAt& at) {
    SocketReportStream table(out);
    for (std::size_t i = 0; i < count; ++i) table.add(at(i));
    table.finish();
}

std::string socket_reports_text(const std::vector<SocketReport>& reports) {
    StringSink sink;
    {
        ChunkWriter out(sink);
        write_socket_reports(out, reports.size(), [&](std::size_t i) -> const SocketReport& { return reports[i]; });
    }
    return std::move(sink.text);
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
            {"notes", r.notes.list()},
            {"result", outcome_json_name(r.outcome)},
            {"error", r.error ? nlohmann::json(r.error->line()) : nlohmann::json()}};
}

}  // namespace kt::render
