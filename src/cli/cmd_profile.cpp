// `keepalive-tune profile list|show|validate|check|middleboxes` (and render, in cmd_profile_render.cpp).
#include <memory>

#include "cli/command.hpp"
#include "core/profile/budget.hpp"
#include "core/profile/host_middleboxes.hpp"
#include "core/text/nearest.hpp"
#include "core/text/word_list.hpp"
#include "render/profile_view.hpp"
#include "render/table.hpp"
#include "sys/host_middleboxes.hpp"
#include "sys/output.hpp"
#include "sys/profile_store.hpp"

namespace kt::cli {

namespace {
struct ProfileOptions {
    std::string profile;
    std::vector<std::string> files;
    std::vector<std::string> path_ids;  // --path, repeatable, each comma-separated
    bool host_only = false;             // middleboxes --host
};

// The path with this host's own conntrack and IPVS added: every connection of the host
// crosses them, whatever the path.
PathWithHost path_on_this_host(std::span<const std::string> path) {
    Errors warnings;
    const auto host = sys::host_middleboxes({}, warnings);
    for (const auto& w : warnings) write_warning(w.line());
    return with_host_middleboxes(path, middlebox_catalogue(), host);
}

CommandResult run_list(const GlobalOptions& g) {
    const auto dirs = sys::default_profile_dirs(g.profile_dirs);
    auto listing = sys::list_profiles(dirs);
    if (listing.profiles.empty() && listing.problems.empty()) {
        std::string searched;
        for (const auto& d : dirs) searched += (searched.empty() ? "" : ", ") + d;
        write_warning("no profiles found in " + searched + "; add --profile-dir DIR");
    }
    if (g.json) {
        auto doc = render::profile_list_json(listing.profiles);
        nlohmann::json problems = nlohmann::json::array();
        for (const auto& e : listing.problems) problems.push_back(e.line());
        doc["problems"] = problems;
        write_json(doc);
    } else {
        write_out(render::profile_list_text(listing.profiles));
    }
    // A broken file in a search directory is an input error even if others loaded.
    if (!listing.problems.empty()) return std::unexpected(listing.problems);
    return k_exit_ok;
}

CommandResult run_show(const GlobalOptions& g, const ProfileOptions& o) {
    auto p = sys::load_profile(o.profile, sys::default_profile_dirs(g.profile_dirs));
    if (!p) return std::unexpected(p.error());
    const auto path = path_on_this_host(p->path);
    const auto budget = path_budget(p->keepalive, path.path, path.catalogue);
    if (g.json)
        write_json(render::profile_show_json(*p, budget));
    else
        write_out(render::profile_show_text(*p, budget));
    return k_exit_ok;
}

CommandResult run_validate(const GlobalOptions& g, const ProfileOptions& o) {
    Errors all;
    nlohmann::json files = nlohmann::json::array();
    for (const auto& file : o.files) {
        auto p = sys::load_profile_file(file);
        nlohmann::json errors = nlohmann::json::array();
        if (!p) {
            for (const auto& e : p.error()) errors.push_back({{"what", e.what}, {"why", e.why}});
            all.insert(all.end(), p.error().begin(), p.error().end());
        } else if (!g.json) {
            write_out(file + ": ok (" + p->name + ")\n");
        }
        files.push_back({{"file", file}, {"valid", p.has_value()}, {"errors", errors}});
    }
    if (g.json) write_json({{"files", files}, {"valid", all.empty()}});
    if (!all.empty()) return std::unexpected(all);
    return k_exit_ok;
}

// Every unknown id is reported, each with its nearest known id.
std::expected<std::vector<std::string>, Errors> parse_path_ids(const std::vector<std::string>& lists) {
    std::vector<std::string> ids, known;
    Errors unknown;
    for (const auto& m : middlebox_catalogue()) known.push_back(m.id);
    for (const auto& list : lists)
        for (const auto word : split_words(list)) {
            std::string id(word);
            if (!find_middlebox(middlebox_catalogue(), id))
                unknown.push_back({"--path " + id, "unknown middlebox" + did_you_mean(id, known) +
                                                       "; `keepalive-tune profile middleboxes` lists them"});
            ids.push_back(std::move(id));
        }
    if (!unknown.empty()) return std::unexpected(unknown);
    if (ids.empty()) return std::unexpected(Errors{{"--path", "give at least one middlebox id"}});
    return ids;
}

CommandResult run_check(const GlobalOptions& g, const ProfileOptions& o) {
    // Check the flag before reading the profile so a typo is reported even with a bad profile name.
    auto ids = parse_path_ids(o.path_ids);
    if (!ids) return std::unexpected(ids.error());
    auto p = sys::load_profile(o.profile, sys::default_profile_dirs(g.profile_dirs));
    if (!p) return std::unexpected(p.error());
    const auto path = path_on_this_host(*ids);
    const auto budget = path_budget(p->keepalive, path.path, path.catalogue);
    const bool loses = budget_loses(budget);
    if (g.json) {
        write_json({{"profile", p->name}, {"budget", render::budget_json(budget)}, {"budget_loses", loses}});
    } else {
        write_out("profile " + p->name + " (" + render::keepalive_triplet(p->keepalive) + ") against the path:\n");
        write_out(render::budget_text(*p, budget));
        write_out(loses ? "result: the profile loses on this path\n" : "result: the profile beats every middlebox on this path\n");
    }
    return loses ? k_exit_negative : k_exit_ok;
}

CommandResult run_middleboxes(const GlobalOptions& g, const ProfileOptions& o) {
    Errors warnings;
    const auto host = o.host_only ? sys::host_middleboxes({}, warnings) : std::vector<Middlebox>{};
    for (const auto& w : warnings) write_warning(w.line());
    const std::span<const Middlebox> catalogue = o.host_only ? std::span<const Middlebox>(host) : middlebox_catalogue();
    if (o.host_only && host.empty() && !g.json) {
        write_out("none: conntrack tracks no flows in this network namespace, and the kernel has no IPVS\n");
        return k_exit_ok;
    }
    if (g.json) {
        nlohmann::json list = nlohmann::json::array();
        for (const auto& m : catalogue)
            list.push_back({{"id", m.id},
                            {"name", m.name},
                            {"idle_timeout_seconds", m.idle_timeout_seconds},
                            {"configurable", m.configurable},
                            {"refreshed_by_keepalive", m.refreshed_by_keepalive},
                            {"note", m.note}});
        write_json({{"middleboxes", list}, {"host", o.host_only}});
        return k_exit_ok;
    }
    render::Table t({"ID", "IDLE-TIMEOUT", "CONFIGURABLE", "KEEPALIVE-REFRESHES", "NAME"});
    for (const auto& m : catalogue)
        t.add({m.id, std::to_string(m.idle_timeout_seconds) + "s", m.configurable,
               m.refreshed_by_keepalive ? "yes" : "no", m.name});
    write_out(t.str());
    return k_exit_ok;
}
}  // namespace

void setup_profile(CLI::App& command, const GlobalOptions& global, Dispatch& dispatch) {
    auto o = std::make_shared<ProfileOptions>();
    command.require_subcommand(1);

    auto* list = command.add_subcommand("list", "list the profiles found, with their detection times and purpose");
    dispatch.on(list, [&global] { return run_list(global); });

    auto* show = command.add_subcommand("show", "show a profile, what it detects and how it fares on its path");
    show->add_option("profile", o->profile, "profile name or path to a .json file")->required();
    dispatch.on(show, [&global, o] { return run_show(global, *o); });

    auto* validate = command.add_subcommand("validate", "validate profile files; every problem is reported");
    validate->add_option("files", o->files, "profile files")->required();
    dispatch.on(validate, [&global, o] { return run_validate(global, *o); });

    auto* check = command.add_subcommand("check", "check a profile against any path of middleboxes (exit 1 if it loses)");
    check->add_option("profile", o->profile, "profile name or path to a .json file")->required();
    check->add_option("--path", o->path_ids, "middlebox ids, comma-separated or repeated (see `profile middleboxes`)")->required();
    dispatch.on(check, [&global, o] { return run_check(global, *o); });

    auto* boxes = command.add_subcommand("middleboxes", "list the middlebox catalogue: idle timeouts and whether keepalive refreshes them");
    boxes->add_flag("--host", o->host_only,
                    "list this host's own middleboxes instead: its conntrack (when it tracks flows in this network "
                    "namespace) and IPVS, which profile show and profile check add to every path");
    dispatch.on(boxes, [&global, o] { return run_middleboxes(global, *o); });

    setup_profile_render(command, global, dispatch);
}

}  // namespace kt::cli
