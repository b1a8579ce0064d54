#include "cli/cmd_apply_sysctl.hpp"

#include <array>
#include <charconv>

#include "core/change/undo_record.hpp"
#include "render/netns_identity_view.hpp"
#include "render/table.hpp"
#include "sys/files.hpp"
#include "sys/netns.hpp"
#include "sys/output.hpp"
#include "sys/sysctl.hpp"
#include "sys/target_lock.hpp"

namespace kt::cli {

namespace {
struct SysctlChange {
    sys::NetnsTarget ns;
    std::string name;
    std::int64_t before = 0;  // the sysctls take negative values too
    std::uint32_t after = 0;
    bool done = false;
    std::string error;
};

Result<std::int64_t> sysctl_number(const std::string& text) {
    std::int64_t v = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || end != text.data() + text.size()) return fail("", "\"" + text + "\" is not a number");
    return v;
}

}  // namespace

CommandResult run_apply_sysctl(const GlobalOptions& g, const Profile& p, const ApplySysctlOptions& o) {
    // The sysctls take anything (0, -1, values past the socket limits; _probes is a u8), so the
    // values come only from a validated profile, whose ranges are the socket options' own.
    const std::array<std::pair<const KeepaliveSysctl&, std::uint32_t>, 3> values = {{
        {k_keepalive_sysctls[0], p.keepalive.idle_seconds},
        {k_keepalive_sysctls[1], p.keepalive.interval_seconds},
        {k_keepalive_sysctls[2], p.keepalive.count},
    }};
    Errors unreadable;
    auto namespaces = sys::select_netns({o.netns, o.netns_of, o.all_netns, o.pod, o.container}, unreadable);
    if (!namespaces) return std::unexpected(Errors{namespaces.error()});
    for (const auto& e : unreadable) write_warning(e.line());

    std::vector<SysctlChange> changes;
    Errors errors;
    for (const auto& ns : *namespaces) {
        for (const auto& [sysctl, value] : values) {
            const std::string name(sysctl.name);
            auto text = sys::read_sysctl(ns, name);
            auto before = text ? sysctl_number(*text) : Result<std::int64_t>(std::unexpected(text.error()));
            if (!before) {
                errors.push_back({"netns " + ns.label, before.error().line()});
                continue;
            }
            // undo accepts only values a profile could hold; one it would refuse is not recorded.
            if (!o.undo_file.empty() && !o.dry_run && (*before < sysctl.min || *before > sysctl.max))
                errors.push_back({"netns " + ns.label + ": " + name,
                                  "is " + std::to_string(*before) + ", outside " + std::to_string(sysctl.min) + ".." +
                                      std::to_string(sysctl.max) + ", which undo would refuse to write back; nothing "
                                      "was changed (run without --undo-file, or set it in range first)"});
            changes.push_back({ns, name, *before, value, false, ""});
        }
    }
    if (!errors.empty()) return std::unexpected(errors);

    sys::TargetLocks locks("keepalive-tune apply " + p.name + " --sysctl");
    for (const auto& ns : *namespaces)
        if (auto r = locks.lock_netns(ns.inode, ns.label); !r) errors.push_back(r.error());
    if (!errors.empty()) return std::unexpected(errors);

    std::size_t failed = 0;
    if (!o.dry_run) {
        if (!o.undo_file.empty()) {
            UndoRecord undo;
            undo.profile = p.name;
            for (const auto& c : changes)
                undo.sysctls.push_back({c.ns.label, c.ns.path, c.ns.inode, c.name, static_cast<std::uint32_t>(c.before)});
            if (auto w = sys::write_file_atomically(o.undo_file, undo_to_json(undo), k_undo_file_mode); !w)
                return std::unexpected(Errors{{"--undo-file " + o.undo_file, w.error().why + "; nothing was changed"}});
        }
        for (auto& c : changes) {
            if (c.before == c.after) continue;
            if (auto w = sys::write_sysctl(c.ns, c.name, std::to_string(c.after)); !w) {
                c.error = w.error().line();
                ++failed;
            } else {
                c.done = true;
            }
        }
    }

    std::vector<std::string> notes = {
        "sockets with their own TCP_KEEPIDLE/INTVL/CNT keep them; the defaults apply only to sockets that enable "
        "SO_KEEPALIVE without setting values",
        "keepalive timers already armed pick the new defaults up only after their next firing (up to the old "
        "idle time, 2 hours with the kernel's defaults); use apply --pid/--comm for running services",
        "new network namespaces (containers, pods) start at 7200/75/9 whatever the host has"};
    if (!p.keepalive.enabled)
        notes.push_back("the profile turns keepalive off, which no sysctl can do: programs choose SO_KEEPALIVE");
    if (p.user_timeout_ms) notes.push_back("TCP_USER_TIMEOUT has no sysctl; the profile's user timeout is not applied");

    if (g.json) {
        nlohmann::json list = nlohmann::json::array();
        for (const auto& c : changes) {
            nlohmann::json one{{"netns", c.ns.label}, {"netns_inode", c.ns.inode}, {"name", c.name}, {"before", c.before},
                               {"after", c.after}, {"changed", c.done},
                               {"error", c.error.empty() ? nlohmann::json() : nlohmann::json(c.error)}};
            render::add_identity_json(one, c.ns.identity);
            list.push_back(std::move(one));
        }
        write_json({{"schema", "keepalive-tune.apply-sysctl.v2"},
                    {"profile", p.name},
                    {"dry_run", o.dry_run},
                    {"sysctls", list},
                    {"notes", notes}});
    } else {
        write_out(std::string(o.dry_run ? "plan (dry run, nothing changed)" : "applied") + ": profile " + p.name +
                  " as network namespace defaults\n");
        render::Table t({"NETNS", "SYSCTL", "BEFORE", "AFTER", "RESULT"});
        for (const auto& c : changes)
            t.add({c.ns.label, c.name, std::to_string(c.before), std::to_string(c.after),
                   c.before == c.after ? "compliant" : !c.error.empty() ? "FAILED: " + c.error : o.dry_run ? "change" : "changed"});
        write_out(t.str());
        for (const auto& n : notes) write_out("note: " + n + "\n");
    }
    return failed ? k_exit_negative : k_exit_ok;
}

}  // namespace kt::cli
