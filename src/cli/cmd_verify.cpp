// `keepalive-tune verify PROFILE TARGET`: exit 0 when every matching socket carries the
// profile, 1 on drift, 2 on error.
#include <memory>

#include "cli/apply_sockets.hpp"
#include "cli/command.hpp"
#include "cli/output.hpp"
#include "core/timer_check.hpp"
#include "sys/profile_store.hpp"

namespace kt::cli {

namespace {
struct VerifyOptions {
    std::string profile;
    TargetOptions target;
};

CommandResult run_verify(const GlobalOptions& g, const VerifyOptions& o) {
    if (!o.target.any_process())
        return std::unexpected(Errors{{"verify", "give a target: --pid PID, --comm NAME or --cgroup PATH"}});
    auto selection = socket_selection(o.target);
    if (!selection) return std::unexpected(Errors{selection.error()});
    auto p = sys::load_profile(o.profile, sys::default_profile_dirs(g.profile_dirs));
    if (!p) return std::unexpected(p.error());
    auto found = find_targets(o.target, *selection);
    if (!found) return std::unexpected(found.error());
    auto prep = prepare_sockets(*found, *p);
    if (!prep) return std::unexpected(prep.error());

    std::vector<render::SocketReport> reports;
    std::size_t drifted = 0, compliant = 0;
    for (auto& s : prep->sockets) {
        auto r = s.report;
        if (auto finding = check_keepalive_timer(s.found.ref.state, static_cast<DiagTimer>(s.found.timer),
                                                 s.found.expires_ms, *p))
            r.notes.push_back(*finding);
        const bool ok = r.item.drift.empty() && r.notes.empty();
        r.outcome = ok ? render::SocketOutcome::compliant : render::SocketOutcome::drift;
        (ok ? compliant : drifted)++;
        reports.push_back(std::move(r));
    }
    reports.insert(reports.end(), prep->gone.begin(), prep->gone.end());

    if (g.json) {
        nlohmann::json list = nlohmann::json::array();
        for (const auto& r : reports) list.push_back(render::socket_report_json(r));
        write_json({{"schema", "keepalive-tune.verify.v1"},
                    {"profile", p->name},
                    {"compliant", drifted == 0},
                    {"sockets", list},
                    {"summary", {{"compliant", compliant}, {"drift", drifted}, {"gone", prep->gone.size()}}}});
    } else {
        write_out(render::socket_reports_text(reports));
        write_out(drifted == 0 ? "compliant: all " + std::to_string(compliant) + " socket(s) carry profile " + p->name + "\n"
                               : "drift: " + std::to_string(drifted) + " of " + std::to_string(drifted + compliant) +
                                     " socket(s) differ from profile " + p->name + "\n");
    }
    return drifted ? k_exit_negative : k_exit_ok;
}
}  // namespace

void setup_verify(CLI::App& cmd, const GlobalOptions& global, Dispatch& dispatch) {
    auto o = std::make_shared<VerifyOptions>();
    cmd.add_option("profile", o->profile, "profile name or path to a .json file")->required();
    add_target_options(cmd, o->target);
    dispatch.on(&cmd, [&global, o] { return run_verify(global, *o); });
}

}  // namespace kt::cli
