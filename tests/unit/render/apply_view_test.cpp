#include "render/apply_view.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "core/socket/ip_text.hpp"

namespace kt::render {
namespace {

Endpoint endpoint(const char* address, std::uint16_t port) { return {*parse_ip_address(address), port}; }

SocketReport report(std::int32_t pid, std::int32_t fd, SocketOutcome outcome) {
    SocketReport r;
    r.item.socket = {pid, fd, 100, SocketRole::accepted, 1, endpoint("127.0.0.1", 8080), endpoint("127.0.0.1", 40000)};
    r.outcome = outcome;
    return r;
}

TEST(ApplyViewTest, ATableIsAlignedOnItsWidestCellsWithTheLastColumnUnpadded) {
    std::vector<SocketReport> reports = {report(7, 12, SocketOutcome::changed), report(31337, -1, SocketOutcome::failed)};
    reports[1].error = Error{"bpf_setsockopt TCP_KEEPIDLE", "Invalid argument"};
    reports[0].item.before.idle_seconds = 7200;
    reports[0].item.after.idle_seconds = 60;
    reports[0].item.drift = k_drift_idle;
    EXPECT_EQ(socket_reports_text(reports),
              "PID    FD      ROLE      STATE        LOCAL           PEER             RESULT   DETAILS\n"
              "7      12      accepted  established  127.0.0.1:8080  127.0.0.1:40000  changed  idle_seconds 7200 -> 60\n"
              "31337  queued  accepted  established  127.0.0.1:8080  127.0.0.1:40000  FAILED   "
              "bpf_setsockopt TCP_KEEPIDLE: Invalid argument\n");
}

// Half a million rows are streamed: the widths are those of the first rows, and a wider cell
// after them pushes its row right instead of widening every row before it.
TEST(ApplyViewTest, RowsAfterTheFirstThousandsKeepTheirWidths) {
    std::vector<SocketReport> reports(k_settled_report_rows, report(7, 3, SocketOutcome::compliant));
    reports.push_back(report(1234567, 3, SocketOutcome::compliant));
    const std::string text = socket_reports_text(reports);
    EXPECT_EQ(text.substr(0, text.find('\n')), "PID  FD  ROLE      STATE        LOCAL           PEER             RESULT     DETAILS");
    const auto last = text.substr(text.rfind('\n', text.size() - 2) + 1);
    EXPECT_EQ(last, "1234567 3   accepted  established  127.0.0.1:8080  127.0.0.1:40000  compliant  -\n");
    EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), static_cast<long>(reports.size()) + 1);
}

TEST(ApplyViewTest, ReportsAreCopiedWithTheirErrorAndNotes) {
    SocketReport r = report(1, 2, SocketOutcome::drift);
    EXPECT_FALSE(r.error);
    EXPECT_TRUE(r.notes.empty());
    r.error = Error{"socket 100", "closed"};
    r.notes.push_back("keepalive timer due in 5 s, not 30 s");
    SocketReport copy = r;
    r.error->why = "changed";
    r.notes.push_back("second");
    ASSERT_TRUE(copy.error);
    EXPECT_EQ(copy.error->line(), "socket 100: closed");
    ASSERT_EQ(copy.notes.list().size(), 1u);
    EXPECT_EQ(copy.notes.list()[0], "keepalive timer due in 5 s, not 30 s");
    const auto json = socket_report_json(copy, "current");
    EXPECT_EQ(json["notes"].size(), 1u);
    EXPECT_EQ(json["error"], "socket 100: closed");
    copy.error.reset();
    EXPECT_TRUE(socket_report_json(copy)["error"].is_null());
}

}  // namespace
}  // namespace kt::render
