// `keepalive-tune profile render NAME|PATH --for TARGET` and `profile render --list`.
#include <memory>

#include "cli/command.hpp"
#include "core/snippet/render_target.hpp"
#include "render/snippet_view.hpp"
#include "sys/output.hpp"
#include "sys/profile_store.hpp"

namespace kt::cli {

namespace {
struct RenderCommandOptions {
    std::string profile;
    std::string target;
    std::string side = "both";
    std::string envoy_version;
    std::string go_version;
    bool list = false;
};

CommandResult run_list(const GlobalOptions& g, const RenderCommandOptions& o) {
    if (!o.profile.empty() || !o.target.empty())
        return std::unexpected(Errors{{"--list", "lists every target; give it without a profile or --for"}});
    if (g.json)
        write_json(render::render_targets_json());
    else
        write_out(render::render_targets_text());
    return k_exit_ok;
}

CommandResult run_render(const GlobalOptions& g, const RenderCommandOptions& o) {
    if (o.list) return run_list(g, o);
    if (o.profile.empty())
        return std::unexpected(Errors{{"profile render",
                                       "give a profile name or path, or --list; see `keepalive-tune "
                                       "profile render --help`"}});
    if (o.target.empty())
        return std::unexpected(Errors{{"--for",
                                       "give the target to render for; `keepalive-tune profile render "
                                       "--list` lists them"}});
    RenderOptions options;
    auto side = parse_side(o.side);
    if (!side) return std::unexpected(Errors{side.error()});
    options.side = *side;
    if (!o.envoy_version.empty()) {
        auto version = parse_envoy_version(o.envoy_version);
        if (!version) return std::unexpected(Errors{version.error()});
        options.envoy_version = *version;
    }
    if (!o.go_version.empty()) {
        auto version = parse_go_version(o.go_version);
        if (!version) return std::unexpected(Errors{version.error()});
        options.go_version = *version;
    }
    // The request is checked before the profile is read, so a typo is reported even with a bad profile.
    if (auto checked = check_render_request(o.target, options); !checked)
        return std::unexpected(Errors{checked.error()});
    auto p = sys::load_profile(o.profile, sys::default_profile_dirs(g.profile_dirs));
    if (!p) return std::unexpected(p.error());
    auto rendering = render_profile(*p, o.target, options);
    if (!rendering) return std::unexpected(Errors{rendering.error()});
    if (g.json)
        write_json(render::rendering_json(*p, o.target, options, *rendering));
    else
        write_out(render::rendering_text(*p, o.target, *rendering));
    return k_exit_ok;
}
}  // namespace

void setup_profile_render(CLI::App& profile, const GlobalOptions& global, Dispatch& dispatch) {
    auto o = std::make_shared<RenderCommandOptions>();
    auto* cmd = profile.add_subcommand(
        "render", "print a profile as native configuration for a proxy, platform or library (--list: the targets)");
    cmd->add_option("profile", o->profile, "profile name or path to a .json file");
    cmd->add_option("--for", o->target, "the target: nginx, haproxy, envoy, istio, ... (see --list)")
        ->type_name("TARGET");
    cmd->add_option("--side", o->side,
                    "downstream (the connections it accepts), upstream (the ones it makes) or both (default)")
        ->type_name("SIDE");
    cmd->add_option("--envoy-version", o->envoy_version,
                    "with --for envoy: the Envoy release (X.Y); before 1.37, raw socket_options instead of the "
                    "listener's tcp_keepalive")
        ->type_name("X.Y");
    cmd->add_option("--go-version", o->go_version,
                    "with --for go: the Go release (X.Y); before 1.23, a Control function instead of "
                    "net.KeepAliveConfig")
        ->type_name("X.Y");
    cmd->add_flag("--list", o->list, "list the targets, one line each");
    std::string targets;
    for (const auto& t : render_targets()) targets += (targets.empty() ? "" : ", ") + std::string(t.name);
    cmd->footer("\nTargets: " + targets + ".\nSee keepalive-tune(8).");
    dispatch.on(cmd, [&global, o] { return run_render(global, *o); });
}

}  // namespace kt::cli
