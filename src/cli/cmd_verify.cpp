// `keepalive-tune verify PROFILE TARGET`: exit 0 when every matching socket carries the
// profile, 1 on drift, 2 on error.
#include <memory>

#include "cli/command.hpp"
#include "cli/target_options.hpp"
#include "engine/fd_sink.hpp"
#include "engine/verify_sockets.hpp"
#include "sys/output.hpp"
#include "sys/profile_store.hpp"

namespace kt::cli {

namespace {
struct VerifyOptions {
    std::string profile;
    engine::TargetOptions target;
};

CommandResult run_verify(const GlobalOptions& g, const VerifyOptions& o) {
    if (!o.target.any_process())
        return std::unexpected(Errors{{"verify", "give a target: --pid PID, --comm NAME, --cgroup PATH, --pod NAME or --container ID-PREFIX"}});
    auto p = sys::load_profile(o.profile, sys::default_profile_dirs(g.profile_dirs));
    if (!p) return std::unexpected(p.error());
    // The table is written as the sockets are judged where the engine can (JSON is one
    // document, written at the end).
    engine::StdoutSink sink;
    std::optional<render::ChunkWriter> out;
    std::optional<render::SocketReportStream> table;
    if (!g.json) {
        out.emplace(sink);
        table.emplace(*out);
    }
    const engine::JudgedReport each = [&](const render::SocketReport& r) { table->add(r); };
    auto v = engine::verify_sockets(o.target, *p, g.json ? nullptr : &each);
    if (!v) return std::unexpected(v.error());
    const std::size_t drifted = v->drift, compliant = v->compliant;

    if (g.json) {
        nlohmann::json list = nlohmann::json::array();
        for (std::size_t i = 0; i < v->prep.report_count(); ++i)
            list.push_back(render::socket_report_json(v->prep.report(i), "current"));
        write_json({{"schema", "keepalive-tune.verify.v2"},
                    {"profile", p->name},
                    {"engine", v->engine},
                    {"planned_in", v->in_kernel ? "kernel" : "user"},
                    {"compliant", drifted == 0},
                    {"sockets", list},
                    {"summary", {{"compliant", compliant}, {"drift", drifted}, {"gone", v->gone}}}});
    } else {
        if (!v->streamed)
            for (std::size_t i = 0; i < v->prep.report_count(); ++i) table->add(v->prep.report(i));
        table->finish();
        table.reset();
        out.reset();  // the rest of the table, before the line after it
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
    add_container_target_options(cmd, o->target);
    dispatch.on(&cmd, [&global, o] { return run_verify(global, *o); });
}

}  // namespace kt::cli
