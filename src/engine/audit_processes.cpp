#include "engine/audit_processes.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include "engine/socket_engine.hpp"
#include "sys/bpf_sockets.hpp"
#include "sys/config_files.hpp"
#include "sys/netns.hpp"
#include "sys/proxy_process.hpp"
#include "sys/target_processes.hpp"

namespace kt::engine {

namespace {

struct Instance {
    sys::ProcessFacts facts;
    ProxyKind kind = ProxyKind::nginx;
    ProxyLaunch launch;
    sys::NetnsTarget netns;
};

// How a process is named in errors: by the option that chose it.
std::string what(std::int32_t pid, const std::string& by_comm = "") {
    return (by_comm.empty() ? "--pid " : "--comm " + by_comm + ": pid ") + std::to_string(pid);
}

// The process that holds the configuration of `pid`: an nginx worker's master, or an HAProxy
// worker's master (which, unlike a worker, has not chrooted).
Result<Instance> instance_of(std::int32_t pid, const std::string& by_comm) {
    auto facts = sys::read_process_facts("/proc", pid);
    if (!facts) return std::unexpected(facts.error());
    const std::string exe_name = facts->exe.empty() ? "its executable cannot be read" : facts->exe;
    auto kind = proxy_kind_of(facts->comm, facts->exe);
    if (!kind)
        return fail(what(pid, by_comm), "is \"" + facts->comm + "\" (" + exe_name +
                                   "), not nginx, HAProxy or Envoy; audit --pid reads the configuration of a running proxy");
    if (*kind != ProxyKind::envoy && facts->ppid > 1) {
        auto parent = sys::read_process_facts("/proc", facts->ppid);
        if (parent && proxy_kind_of(parent->comm, parent->exe) == kind) facts = std::move(parent);
    }
    auto launch = parse_proxy_launch(*kind, facts->argv, facts->cwd);
    if (!launch) return fail(what(pid, by_comm), launch.error().line());
    if (launch->nginx_helper)
        return fail(what(pid, by_comm), "is an nginx helper process whose master could not be found (its parent is pid " +
                                   std::to_string(facts->ppid) + ")");
    auto netns = sys::netns_of_pid(facts->pid);
    if (!netns) return fail(what(pid, by_comm), netns.error().why);
    return Instance{std::move(*facts), *kind, std::move(*launch), std::move(*netns)};
}

NetnsKeepalive netns_keepalive(const Instance& in) {
    NetnsKeepalive n;
    if (auto d = sys::read_keepalive_defaults(in.netns)) {
        n.idle_seconds = d->idle_seconds;
        n.interval_seconds = d->interval_seconds;
        n.count = d->count;
        n.source = "the sysctls of netns " + in.netns.label;
    } else {
        n.source = "kernel defaults (netns " + in.netns.label + " unreadable: " + d.error().why + ")";
    }
    return n;
}

struct ParsedConfig {
    AuditReport report;
    std::vector<DeclaredListener> declared;
};

Result<ParsedConfig> audit_config(const Instance& in, const AuditContext& context) {
    auto files = sys::read_config_files_under(in.facts.root, in.launch.config_paths);
    if (!files) {
        // HAProxy chroots after reading its files (global `chroot`); its master does not.
        const std::string hint = !in.facts.root_target.empty() && in.facts.root_target != "/"
                                     ? "; the process is chrooted to " + in.facts.root_target +
                                           ", so audit its master (haproxy -W) or give the file as FILE"
                                     : "";
        return fail(what(in.facts.pid), files.error().line() + hint);
    }
    ParsedConfig out;
    if (in.kind == ProxyKind::envoy) {
        const auto& file = files->front();
        auto config = parse_envoy_config(file.text, file.path);
        if (!config) return std::unexpected(config.error());
        out.report = audit_envoy(*config, context);
        const bool typed = !context.envoy_version || *context.envoy_version >= EnvoyVersion{1, 37};
        out.declared = envoy_declared_listeners(*config, typed);
        return out;
    }
    if (in.kind == ProxyKind::nginx) {
        const auto& main = files->front();
        auto config = parse_nginx_config(main.text, main.path,
                                         sys::include_resolver(sys::directory_of(main.path), in.facts.root));
        if (!config) return std::unexpected(config.error());
        out.report = audit_nginx(*config, context);
        out.declared = nginx_declared_listeners(*config);
        return out;
    }
    // HAProxy reads its files one after the other as one configuration.
    HaproxyConfig all;
    for (const auto& f : *files) {
        auto config = parse_haproxy_config(f.text, f.path);
        if (!config) return std::unexpected(config.error());
        all.sections.insert(all.sections.end(), config->sections.begin(), config->sections.end());
    }
    out.report = audit_haproxy(all, files->front().path, context);
    out.report.files.clear();
    for (const auto& f : *files) out.report.files.push_back(f.path);
    out.declared = haproxy_declared_listeners(all);
    return out;
}

// The listening sockets of `owners`, each once, with their exact options read by the engine.
std::expected<std::vector<ObservedListener>, Errors> listening_sockets(const std::vector<std::int32_t>& owners,
                                                                       SocketEngine& engine) {
    sys::SocketSelection listeners;
    listeners.roles = role_bit(SocketRole::listener);
    auto found = sys::find_target_sockets(owners, listeners);
    if (!found) return std::unexpected(found.error());
    std::set<std::uint32_t> seen;
    std::erase_if(*found, [&](const sys::FoundSocket& f) { return !seen.insert(f.ref.inode).second; });
    if (found->empty()) return std::vector<ObservedListener>{};
    // Planned against an empty profile: only the "before" values are used; nothing is written.
    auto prep = engine.prepare(*found, Profile{}, {}, listeners);
    if (!prep) return std::unexpected(prep.error());
    std::vector<ObservedListener> out;
    for (const auto& s : prep->sockets) {
        const auto& ref = s.report.item.socket;
        out.push_back({ref.local, ref.inode, ref.pid, ref.fd, s.report.item.before});
    }
    return out;
}

}  // namespace

std::expected<std::vector<ProcessAudit>, Errors> audit_processes(const ProcessAuditRequest& request,
                                                                 const AuditContext& base) {
    auto pids = sys::resolve_targets({request.pids, request.comms, {}, "/proc", ""});
    if (!pids) return std::unexpected(pids.error());
    std::vector<Instance> instances;
    std::set<std::tuple<int, std::vector<std::string>, std::uint64_t, std::uint64_t>> keys;
    Errors errors;
    for (auto pid : *pids) {
        const bool named = std::find(request.pids.begin(), request.pids.end(), pid) != request.pids.end();
        std::string by_comm;
        if (!named)
            if (auto facts = sys::read_process_facts("/proc", pid)) by_comm = facts->comm;
        auto in = instance_of(pid, by_comm);
        if (!in) {
            // --comm picks every process of that name, strays included: they are skipped and
            // said, as long as something is left to audit.
            if (!named && request.skipped)
                request.skipped->push_back(in.error());
            else
                errors.push_back(in.error());
            continue;
        }
        // A master and its workers, or two pids of one instance: one audit.
        if (keys.emplace(static_cast<int>(in->kind), in->launch.config_paths, in->netns.inode, in->facts.mount_ns).second)
            instances.push_back(std::move(*in));
    }
    if (!errors.empty()) return std::unexpected(errors);
    if (instances.empty() && request.skipped && !request.skipped->empty()) {
        Errors none = *request.skipped;
        request.skipped->clear();
        return std::unexpected(none);
    }

    auto engine = choose_engine(request.engine);
    if (!engine) return std::unexpected(Errors{engine.error()});
    std::vector<ProcessAudit> out;
    for (const auto& in : instances) {
        AuditContext context = base;
        context.netns = netns_keepalive(in);
        auto parsed = audit_config(in, context);
        if (!parsed) return std::unexpected(Errors{parsed.error()});
        std::vector<std::int32_t> owners{in.facts.pid};
        for (auto child : sys::descendants_of("/proc", in.facts.pid)) owners.push_back(child);
        auto sockets = listening_sockets(owners, **engine);
        if (!sockets) return std::unexpected(sockets.error());
        LiveProcess process{in.facts.pid,         in.kind,
                            owners,               in.netns.label,
                            (*engine)->name(),    in.launch.config_paths,
                            in.launch.default_config, context.envoy_version};
        auto live = check_live_listeners(std::move(process), parsed->declared, *sockets, context.netns);
        auto& findings = parsed->report.findings;
        findings.insert(findings.end(), live.findings.begin(), live.findings.end());
        out.push_back({std::move(parsed->report), std::move(live)});
    }
    return out;
}

}  // namespace kt::engine
