// Plans and results of apply and verify, as a table and as JSON.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/change/apply_plan.hpp"
#include "core/text/error.hpp"
#include "render/chunk_writer.hpp"

namespace kt::render {

// An Error that may be absent, kept behind a pointer: a report per socket carries one only
// when that socket failed, and half a million inline optional<Error>s would be 40 MiB of
// empty strings. Reads like std::optional<Error>.
class ErrorBox {
public:
    ErrorBox() = default;
    ErrorBox(Error e) : m_error(std::make_unique<Error>(std::move(e))) {}
    ErrorBox(const std::optional<Error>& e) : m_error(e ? std::make_unique<Error>(*e) : nullptr) {}
    ErrorBox(const ErrorBox& o) : m_error(o.m_error ? std::make_unique<Error>(*o.m_error) : nullptr) {}
    ErrorBox(ErrorBox&&) noexcept = default;
    ErrorBox& operator=(ErrorBox o) noexcept {
        m_error = std::move(o.m_error);
        return *this;
    }
    explicit operator bool() const { return m_error != nullptr; }
    bool has_value() const { return m_error != nullptr; }
    const Error& operator*() const { return *m_error; }
    Error& operator*() { return *m_error; }
    const Error* operator->() const { return m_error.get(); }
    Error* operator->() { return m_error.get(); }
    const Error& value() const { return *m_error; }
    void reset() { m_error.reset(); }

private:
    std::unique_ptr<Error> m_error;
};

enum class SocketOutcome : std::uint8_t { planned, compliant, changed, failed, rolled_back, gone, drift, restored };
const char* outcome_name(SocketOutcome o);       // for tables: "changed", "FAILED", ...
const char* outcome_json_name(SocketOutcome o);  // for JSON "result": "changed", "failed", ...

// Findings about one socket (verify's timer findings), kept behind a pointer like ErrorBox:
// most sockets have none.
class NoteList {
public:
    NoteList() = default;
    NoteList(const NoteList& o) : m_notes(o.m_notes ? std::make_unique<std::vector<std::string>>(*o.m_notes) : nullptr) {}
    NoteList(NoteList&&) noexcept = default;
    NoteList& operator=(NoteList o) noexcept {
        m_notes = std::move(o.m_notes);
        return *this;
    }
    void push_back(std::string note) {
        if (!m_notes) m_notes = std::make_unique<std::vector<std::string>>();
        m_notes->push_back(std::move(note));
    }
    bool empty() const { return !m_notes || m_notes->empty(); }
    const std::string* begin() const { return m_notes ? m_notes->data() : nullptr; }
    const std::string* end() const { return m_notes ? m_notes->data() + m_notes->size() : nullptr; }
    std::vector<std::string> list() const { return m_notes ? *m_notes : std::vector<std::string>{}; }

private:
    std::unique_ptr<std::vector<std::string>> m_notes;
};

// Half a million of these are held by an apply or verify of every socket: 120 bytes each,
// the fields ordered so that one byte pads.
struct SocketReport {
    PlanItem item;
    SocketOutcome outcome = SocketOutcome::planned;
    bool before_read = true;  // false when the socket could not be read (gone): no "before"
    bool role_known = true;   // false for entries of undo files that did not record it
    ErrorBox error;
    NoteList notes;  // verify: timer findings
};

// The reports as an aligned table, streamed through `out` row by row: the columns are as wide
// as the widest cell among the first k_settled_report_rows rows (every row, in most runs), and
// later rows keep those widths. A table of half a million sockets is never held in memory.
// `at(i)` is the i-th report wherever the caller keeps it (the engines' prepared sockets).
inline constexpr std::size_t k_settled_report_rows = 4096;
using ReportAt = std::function<const SocketReport&(std::size_t)>;
void write_socket_reports(ChunkWriter& out, std::size_t count, const ReportAt& at);
// The same table fed a report at a time, for a pass that settles each socket as it goes: the
// first k_settled_report_rows are held to take the widths from, then each row is written as it
// comes. finish() writes the header and what is still held when fewer came.
class SocketReportStream {
public:
    explicit SocketReportStream(ChunkWriter& out);
    ~SocketReportStream();
    SocketReportStream(const SocketReportStream&) = delete;
    SocketReportStream& operator=(const SocketReportStream&) = delete;
    void add(const SocketReport& r);
    void finish();

private:
    struct Cells;
    void settle();
    void put(const std::string_view* cells);
    ChunkWriter& m_out;
    std::vector<SocketReport> m_held;
    bool m_settled = false;
    std::size_t m_width[8] = {};
    std::unique_ptr<Cells> m_cells;
};
// The same table as one string.
std::string socket_reports_text(const std::vector<SocketReport>& reports);
// `current_key` names item.before in the document: "before" where the command changes the
// socket (apply, undo), "current" where it only reads it (verify). item.after is "target".
nlohmann::json socket_report_json(const SocketReport& r, std::string_view current_key = "before");

}  // namespace kt::render
