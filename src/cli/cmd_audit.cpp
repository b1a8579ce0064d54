// `keepalive-tune audit FILE...`: the keepalive an nginx, HAProxy or Envoy configuration, or
// Kubernetes resources of Envoy-based control planes, give each listener and upstream, and the
// rules they break, with fixes. With --pid/--comm, the configuration of a running proxy, checked
// against its listening sockets too (cli/audit_processes.cpp).
#include <memory>

#include "cli/command.hpp"
#include "cli/engine_option.hpp"
#include "cli/number_option.hpp"
#include "core/audit/audit.hpp"
#include "core/profile/catalogue.hpp"
#include "core/text/duration.hpp"
#include "engine/audit_processes.hpp"
#include "render/audit_view.hpp"
#include "sys/bpf_sockets.hpp"
#include "sys/config_files.hpp"
#include "sys/files.hpp"
#include "sys/host_middleboxes.hpp"
#include "sys/output.hpp"

namespace kt::cli {

namespace {

struct AuditOptions {
    std::vector<std::string> files;
    std::string type;
    std::vector<std::string> path_lists;
    std::string fail_on = "high";
    engine::ProcessAuditRequest processes;
    const CLI::Option* engine_option = nullptr;
    std::string envoy_version;
    std::string backend_idle;
    std::string kubernetes_version;
};

// This host's net.ipv4.tcp_keepalive_*, which a proxy run here inherits; the kernel's
// defaults when they cannot be read.
NetnsKeepalive host_keepalive_defaults() {
    NetnsKeepalive n;
    if (auto d = sys::read_keepalive_defaults(sys::NetnsTarget{})) {
        n.idle_seconds = d->idle_seconds;
        n.interval_seconds = d->interval_seconds;
        n.count = d->count;
        n.source = "this host's sysctls";
    }
    return n;
}

Result<AuditReport> audit_file(const std::string& file, const std::optional<ConfigType>& given,
                               const AuditContext& context) {
    auto text = sys::read_text_file(file);
    if (!text) return std::unexpected(text.error());
    auto type = given ? given : guess_config_type(*text);
    if (!type)
        return fail(file, "cannot tell which kind of configuration this is (YAML without apiVersion and kind, Envoy "
                          "listeners or clusters, such as a Helm values file, is not audited as any of them); give "
                          "--type nginx|haproxy|envoy|kubernetes");
    if (*type == ConfigType::envoy) {
        auto config = parse_envoy_config(*text, file);
        if (!config) return std::unexpected(config.error());
        return audit_envoy(*config, context);
    }
    if (*type == ConfigType::kubernetes) {
        auto config = parse_kubernetes_config(*text, file);
        if (!config) return std::unexpected(config.error());
        return audit_kubernetes(*config, context);
    }
    if (*type == ConfigType::nginx) {
        auto config = parse_nginx_config(*text, file, sys::include_resolver(sys::directory_of(file)));
        if (!config) return std::unexpected(config.error());
        return audit_nginx(*config, context);
    }
    auto config = parse_haproxy_config(*text, file);
    if (!config) return std::unexpected(config.error());
    return audit_haproxy(*config, file, context);
}

CommandResult run_audit(const GlobalOptions& g, const AuditOptions& o) {
    Errors problems;
    std::optional<ConfigType> type;
    if (!o.type.empty()) {
        auto t = parse_config_type(o.type);
        if (t)
            type = *t;
        else
            problems.push_back(t.error());
    }
    auto fail_on = parse_severity(o.fail_on);
    if (!fail_on) problems.push_back(fail_on.error());
    AuditContext context;
    if (!o.envoy_version.empty()) {
        if (auto v = parse_envoy_version(o.envoy_version))
            context.envoy_version = *v;
        else
            problems.push_back(v.error());
    }
    if (!o.backend_idle.empty()) {
        if (auto ms = parse_duration_ms(o.backend_idle); ms && *ms > 0)
            context.backend_idle_ms = *ms;
        else
            problems.push_back({"--backend-idle", ms ? "give a duration above 0, such as 5s" : ms.error().why});
    }
    if (!o.kubernetes_version.empty()) {
        if (auto v = parse_kubernetes_version(o.kubernetes_version, "--kubernetes-version")) {
            context.kubernetes_version = *v;
            context.kubernetes_version_given = true;
        } else {
            problems.push_back(v.error());
        }
    }
    for (const auto& list : o.path_lists) {
        auto p = parse_path_list(list, "--path", middlebox_catalogue());
        if (p)
            context.path.insert(context.path.end(), p->begin(), p->end());
        else
            problems.insert(problems.end(), p.error().begin(), p.error().end());
    }
    const bool live = !o.processes.pids.empty() || !o.processes.comms.empty();
    for (const auto& f : o.files)
        if (f.empty()) problems.push_back({"audit", "an empty file name was given; give a configuration file's path"});
    if (o.files.empty() && !live) problems.push_back({"audit", "give at least one configuration file, --pid or --comm"});
    if (live && o.files.empty() && !o.type.empty())
        problems.push_back({"--type", "applies to FILE arguments; a process's type is what it runs"});
    if (!live && o.engine_option && o.engine_option->count() > 0)
        problems.push_back({"--engine", "chooses how --pid and --comm read listening sockets; give one of them too"});
    if (!problems.empty()) return std::unexpected(problems);

    context.netns = host_keepalive_defaults();
    // The host's own conntrack and IPVS are in front of every proxy on it, after the path given.
    if (!context.path.empty()) {
        Errors warnings;
        for (const auto& m : sys::host_middleboxes({}, warnings))
            context.path.push_back(PathHop{m.id, std::uint64_t{m.idle_timeout_seconds} * 1000, m.refreshed_by_keepalive});
        for (const auto& w : warnings) write_warning(w.line());
    }
    std::vector<AuditReport> reports;
    for (const auto& f : o.files) {
        auto r = audit_file(f, type, context);
        if (!r) return std::unexpected(Errors{r.error()});
        reports.push_back(std::move(*r));
    }
    std::vector<engine::ProcessAudit> processes;
    Errors skipped;
    if (live) {
        auto request = o.processes;
        request.skipped = &skipped;
        auto p = engine::audit_processes(request, context);
        if (!p) return std::unexpected(p.error());
        processes = std::move(*p);
    }
    render::LiveSections sections(reports.size(), nullptr);
    for (auto& p : processes) reports.push_back(p.report);
    for (const auto& p : processes) sections.push_back(&p.live);
    if (g.json) {
        auto doc = render::audit_json(reports, context.path, *fail_on, sections);
        nlohmann::json list = nlohmann::json::array();
        for (const auto& e : skipped) list.push_back(e.line());
        doc["skipped"] = list;
        write_json(doc);
    } else {
        write_out(render::audit_text(reports, *fail_on, sections));
        for (const auto& e : skipped) write_warning(e.line() + "; skipped");
    }
    for (const auto& r : reports)
        if (auto worst = worst_severity(r.findings); worst && *worst >= *fail_on) return k_exit_negative;
    return k_exit_ok;
}

}  // namespace

void setup_audit(CLI::App& cmd, const GlobalOptions& global, Dispatch& dispatch) {
    auto o = std::make_shared<AuditOptions>();
    cmd.add_option("files", o->files,
                   "nginx.conf, haproxy.cfg, Envoy YAML/JSON (bootstrap, LDS/CDS, config_dump) or Kubernetes YAML "
                   "files (nginx includes are followed)")
        ->type_name("FILE");
    cmd.add_option("--type", o->type,
                   "nginx, haproxy, envoy or kubernetes (default: guessed from each file's content)")
        ->type_name("TYPE");
    cmd.add_option("--path", o->path_lists,
                   "middleboxes in front of the proxy: catalogue ids (`profile middleboxes`) and NAME=DURATION "
                   "entries (corp-fw=1800s), comma-separated or repeated")
        ->type_name("ID|NAME=DURATION,...");
    cmd.add_option("--fail-on", o->fail_on, "exit 1 when a finding is at or above this severity: info, low, medium, "
                                            "high (default high)")
        ->type_name("SEVERITY");
    as_pid(cmd.add_option("--pid", o->processes.pids,
                          "a running nginx, HAProxy or Envoy (a worker leads to its master): audit the configuration it was "
                          "started with and compare each listener with its listening socket (repeatable)"))
        ->allow_extra_args(false);  // one value each, so `--pid 123 nginx.conf` keeps the FILE
    cmd.add_option("--comm", o->processes.comms, "every process with this command name, as --pid (repeatable)")
        ->type_name("NAME")
        ->allow_extra_args(false);
    add_engine_option(cmd, o->processes.engine);
    o->engine_option = cmd.get_option("--engine");
    cmd.add_option("--envoy-version", o->envoy_version,
                   "the Envoy release (X.Y) the configuration runs on; before 1.37 the listener's tcp_keepalive is "
                   "unknown and fixes use raw socket_options (default: 1.37 or later)")
        ->type_name("X.Y");
    cmd.add_option("--backend-idle", o->backend_idle,
                   "Envoy: the keep-alive timeout of the servers behind the clusters (5s); each cluster's upstream "
                   "idle_timeout must be below it")
        ->type_name("DURATION");
    cmd.add_option("--kubernetes-version", o->kubernetes_version,
                   "the cluster's Kubernetes release (X.Y), for which pod sysctls are safe (default: " +
                       kubernetes_version_text(KubernetesVersion{}) + ")")
        ->type_name("X.Y");
    cmd.footer("\nExit status: 0 no finding at or above --fail-on, 1 one or more, 2 bad input (a syntax error says "
               "file:line:column; with --pid/--comm also a process that is gone, is not a proxy, or whose "
               "configuration cannot be read).\nSee keepalive-tune(8).");
    dispatch.on(&cmd, [&global, o] { return run_audit(global, *o); });
}

}  // namespace kt::cli
