// `keepalive-tune enforce PROFILE --cgroup PATH`: every connection established from now on by
// any process of the cgroup gets the profile, through a pinned BPF sockops program; --list
// shows what is enforced, --remove detaches.
#include <ctime>
#include <memory>

#include "cli/command.hpp"
#include "core/change/enforce_config.hpp"
#include "core/socket/socket_role.hpp"
#include "render/profile_view.hpp"
#include "render/table.hpp"
#include "sys/bpf_enforce.hpp"
#include "sys/container_processes.hpp"
#include "sys/output.hpp"
#include "sys/profile_store.hpp"

namespace kt::cli {

namespace {
struct EnforceOptions {
    std::string profile;
    std::string cgroup;
    std::string pod;
    std::string container;
    std::string roles;
    bool override_app = false;
    bool list = false;
    bool remove = false;
};

std::string utc_text(std::uint64_t unix_seconds) {
    const std::time_t t = static_cast<std::time_t>(unix_seconds);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

std::string join_changes(const std::vector<std::string>& changes) {
    std::string out;
    for (const auto& c : changes) out += (out.empty() ? "" : "; ") + c;
    return out;
}

nlohmann::json pin_json(const sys::EnforcedPin& p) {
    const auto& c = p.config;
    return {{"cgroup", c.cgroup_path},
            {"cgroup_id", c.cgroup_id},
            {"cgroup_exists", p.cgroup_exists},
            {"profile", c.profile},
            {"since", utc_text(c.since_unix)},
            {"roles", role_list_text(c.roles)},
            {"override_app", c.override_app},
            {"values",
             {{"so_keepalive", c.keepalive},
              {"idle_seconds", c.idle_seconds},
              {"interval_seconds", c.interval_seconds},
              {"count", c.count},
              {"user_timeout_ms", c.user_timeout_ms}}},
            {"connections", {{"applied", p.applied}, {"failed", p.failed}, {"app_values_replaced", p.rewritten}}},
            {"pin_dir", p.pin_dir}};
}

// The nearest enforced cgroup above `path` among `pins` (its profile yields to this one for the
// connections they share), or null.
const sys::EnforcedPin* enforced_above(const std::vector<sys::EnforcedPin>& pins, const std::string& path) {
    const sys::EnforcedPin* best = nullptr;
    for (const auto& p : pins)
        if (cgroup_inside(path, p.config.cgroup_path) && (!best || p.config.level > best->config.level)) best = &p;
    return best;
}

CommandResult run_list(const GlobalOptions& g) {
    auto pins = sys::list_enforced();
    if (!pins) return std::unexpected(Errors{pins.error()});
    if (g.json) {
        nlohmann::json list = nlohmann::json::array();
        for (const auto& p : *pins) {
            auto j = pin_json(p);
            const auto* above = enforced_above(*pins, p.config.cgroup_path);
            j["inside"] = above ? nlohmann::json(above->config.cgroup_path) : nlohmann::json();
            list.push_back(std::move(j));
        }
        write_json({{"schema", "keepalive-tune.enforce-list.v1"}, {"enforced", list}});
        return k_exit_ok;
    }
    if (pins->empty()) {
        write_out("nothing enforced (no pins under " + std::string(sys::k_pin_root) + ")\n");
        return k_exit_ok;
    }
    render::Table t(
        {"CGROUP", "PROFILE", "ROLES", "SINCE", "APPLIED", "FAILED", "APP VALUES REPLACED", "CGROUP EXISTS", "INSIDE"});
    for (const auto& p : *pins) {
        const auto* above = enforced_above(*pins, p.config.cgroup_path);
        t.add({p.config.cgroup_path, p.config.profile + (p.config.override_app ? " (override-app)" : ""),
               role_list_text(p.config.roles), utc_text(p.config.since_unix), std::to_string(p.applied),
               std::to_string(p.failed), p.config.override_app ? std::to_string(p.rewritten) : "- (kept)",
               p.cgroup_exists ? "yes" : "NO: remove with enforce --remove",
               above ? above->config.cgroup_path + " (" + above->config.profile + "; this one wins)" : "-"});
    }
    write_out(t.str());
    return k_exit_ok;
}

CommandResult run_remove(const GlobalOptions& g, const EnforceOptions& o) {
    // The cgroup's own pins, or, when it is gone or was made again (a restarted unit), those
    // recorded under its path.
    auto pins = sys::list_enforced();
    if (!pins) return std::unexpected(Errors{pins.error()});
    auto dir = sys::resolve_cgroup(o.cgroup);
    std::vector<std::uint64_t> ids;
    for (const auto& p : *pins) {
        const auto& path = p.config.cgroup_path;
        const bool same_dir = dir && p.config.cgroup_id == dir->id;
        const bool same_path = (dir && path == dir->path) || path == o.cgroup || path.ends_with("/" + o.cgroup);
        if (same_dir || same_path) ids.push_back(p.config.cgroup_id);
    }
    if (ids.empty()) {
        if (!dir) return std::unexpected(Errors{dir.error()});
        return std::unexpected(Errors{{"--cgroup " + o.cgroup, "nothing is enforced on it (see enforce --list)"}});
    }
    for (auto id : ids)
        if (auto removed = sys::remove_enforced(id); !removed) return std::unexpected(Errors{removed.error()});
    if (g.json)
        write_json({{"schema", "keepalive-tune.enforce.v1"}, {"cgroup", o.cgroup}, {"result", "removed"}});
    else
        write_out("removed: new connections of " + o.cgroup + " keep their own values again\n");
    return k_exit_ok;
}

CommandResult run_enforce(const GlobalOptions& g, const EnforceOptions& o) {
    if (o.list && o.remove) return std::unexpected(Errors{{"--list and --remove", "give at most one of them"}});
    if (o.list) {
        if (!o.profile.empty() || !o.cgroup.empty() || !o.pod.empty() || !o.container.empty() || !o.roles.empty() ||
            o.override_app)
            return std::unexpected(Errors{{"--list", "takes no profile, --cgroup, --role or --override-app"}});
        return run_list(g);
    }
    if (!o.cgroup.empty() + !o.pod.empty() + !o.container.empty() > 1)
        return std::unexpected(Errors{{"--cgroup, --pod and --container", "give one of them"}});
    if (!o.pod.empty() || !o.container.empty()) {
        auto dir = o.pod.empty() ? sys::cgroup_of_container(o.container) : sys::cgroup_of_pod(o.pod);
        if (!dir) return std::unexpected(Errors{dir.error()});
        EnforceOptions by_cgroup = o;
        by_cgroup.cgroup = *dir;
        by_cgroup.pod.clear();
        by_cgroup.container.clear();
        return run_enforce(g, by_cgroup);
    }
    if (o.cgroup.empty())
        return std::unexpected(Errors{{"enforce", "give --cgroup PATH (a cgroup v2 directory), --pod NAME or --container ID"}});
    if (o.remove) {
        if (!o.profile.empty() || !o.roles.empty() || o.override_app)
            return std::unexpected(Errors{{"--remove", "takes only --cgroup"}});
        return run_remove(g, o);
    }
    if (o.profile.empty()) return std::unexpected(Errors{{"enforce", "give a PROFILE (or --list, or --remove)"}});
    std::uint8_t roles = k_all_roles;
    if (!o.roles.empty()) {
        auto parsed = parse_role_list(o.roles, "--role");
        if (!parsed) return std::unexpected(Errors{parsed.error()});
        roles = *parsed;
    }
    auto p = sys::load_profile(o.profile, sys::default_profile_dirs(g.profile_dirs));
    if (!p) return std::unexpected(p.error());
    if (o.override_app && !p->keepalive.enabled)
        return std::unexpected(Errors{{"--override-app", "profile " + p->name + " turns keepalive off: there are no values to impose"}});
    auto dir = sys::resolve_cgroup(o.cgroup);
    if (!dir) return std::unexpected(Errors{dir.error()});
    auto config = make_enforce_config({&*p, roles, o.override_app, dir->path, dir->id,
                                       static_cast<std::uint64_t>(std::time(nullptr))});
    if (!config) return std::unexpected(Errors{config.error()});
    // Where enforced cgroups nest, the innermost profile wins for the connections they share.
    std::vector<std::string> nesting;
    nlohmann::json nesting_json = nlohmann::json::array();
    if (auto pins = sys::list_enforced()) {
        for (const auto& pin : *pins) {
            const auto& other = pin.config;
            if (other.cgroup_id == dir->id) continue;
            const bool inside = cgroup_inside(dir->path, other.cgroup_path);
            const bool above = cgroup_inside(other.cgroup_path, dir->path);
            if (!inside && !above) continue;
            nesting.push_back(inside ? "inside " + other.cgroup_path + ", enforced with profile " + other.profile +
                                           ": this profile wins for connections of " + dir->path
                                     : "above " + other.cgroup_path + ", enforced with profile " + other.profile +
                                           ": that profile stays for its connections");
            nesting_json.push_back({{"cgroup", other.cgroup_path},
                                    {"profile", other.profile},
                                    {"relation", inside ? "inside" : "above"}});
        }
    }
    auto done = sys::enforce(*config);
    if (!done) return std::unexpected(Errors{done.error()});

    const char* result = done->updated ? "updated" : "attached";
    if (g.json) {
        write_json({{"schema", "keepalive-tune.enforce.v1"},
                    {"cgroup", dir->path},
                    {"cgroup_id", dir->id},
                    {"profile", p->name},
                    {"roles", role_list_text(roles)},
                    {"override_app", o.override_app},
                    {"result", result},
                    {"changes", done->previous ? nlohmann::json(enforce_changes(*done->previous,
                                                                                read_enforce_config(*config)))
                                               : nlohmann::json::array()},
                    {"mounted_bpffs", done->mounted_bpffs},
                    {"pin_dir", done->pin_dir},
                    {"nesting", nesting_json}});
        return k_exit_ok;
    }
    if (done->mounted_bpffs) write_out(std::string("mounted bpffs at ") + sys::k_bpffs + "\n");
    if (done->previous) {
        const auto now = read_enforce_config(*config);
        const auto changes = enforce_changes(*done->previous, now);
        write_out(changes.empty() ? "unchanged: the cgroup already had these values\n"
                                  : "changed: " + join_changes(changes) + " (enforced since " +
                                        utc_text(done->previous->since_unix) + ")\n");
    }
    write_out(std::string(result) + ": profile " + p->name + " (" + render::keepalive_triplet(p->keepalive) + ") on new " +
              role_list_text(roles) + " connections of " + dir->path + (o.override_app ? ", replacing the application's own values" : "") +
              "\n");
    write_out("pinned under " + done->pin_dir + "; connections that already exist keep their values (use apply)\n");
    for (const auto& n : nesting) write_out("note: " + n + "\n");
    if (!o.override_app)
        write_out("note: values the application sets itself, before listen() or connect() or after, stay; "
                  "--override-app replaces them\n");
    write_out("note: the pins go at reboot, and a cgroup made again (a restarted systemd unit) starts without them\n");
    return k_exit_ok;
}
}  // namespace

void setup_enforce(CLI::App& cmd, const GlobalOptions& global, Dispatch& dispatch) {
    auto o = std::make_shared<EnforceOptions>();
    cmd.add_option("profile", o->profile, "profile name or path to a .json file");
    cmd.add_option("--cgroup", o->cgroup, "the cgroup v2 directory, e.g. system.slice/nginx.service");
    cmd.add_option("--pod", o->pod, "the cgroup of Kubernetes pod NAME or NAMESPACE/NAME (its pod directory)");
    cmd.add_option("--container", o->container, "the cgroup of the container whose id starts with ID-PREFIX");
    cmd.add_option("--role", o->roles, "listener, accepted, upstream, comma-separated (default: all three)");
    cmd.add_flag("--override-app", o->override_app,
                 "also replace the keepalive values the application sets itself (TCP_KEEPIDLE, _KEEPINTVL, _KEEPCNT, "
                 "TCP_USER_TIMEOUT), as Go does right after connect");
    cmd.add_flag("--list", o->list, "list the enforced cgroups, their profiles and whether the cgroups still exist");
    cmd.add_flag("--remove", o->remove, "detach from --cgroup");
    dispatch.on(&cmd, [&global, o] { return run_enforce(global, *o); });
}

}  // namespace kt::cli
