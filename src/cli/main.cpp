// keepalive-tune: parse the command line, dispatch to one command, print errors. Nothing else.
#include <malloc.h>

#include <cstdio>
#include <string_view>
#include <vector>

#include "build_config.hpp"
#include "cli/command.hpp"
#include "cli/usage_error.hpp"
#include "render/check_view.hpp"
#include "sys/output.hpp"

namespace {
// A usage error of a Nagios plugin command must still be UNKNOWN (3) with a line on stdout.
int usage_exit(const CLI::App& app, const kt::Error& e) {
    for (const auto& spec : kt::cli::command_table())
        if (spec.nagios && app.got_subcommand(std::string(spec.name))) {
            kt::write_out(kt::render::check_nagios_unknown(e.line()));
            return kt::cli::k_exit_nagios_unknown;
        }
    return kt::cli::k_exit_error;
}

// The global options, wherever they are before `--`, go first: given after a command, CLI11
// hands them to the top level mid-parse, which then also takes the `--` that separates
// exec's command from its options.
std::vector<char*> global_options_first(int argc, char** argv) {
    std::vector<char*> globals, rest;
    int i = 1;
    for (; i < argc; ++i) {
        const std::string_view a = argv[i];
        if (a == "--") break;
        if (a == "--json" || a.starts_with("--profile-dir=")) {
            globals.push_back(argv[i]);
        } else if (a == "--profile-dir" && i + 1 < argc) {
            globals.push_back(argv[i]);
            globals.push_back(argv[++i]);
        } else {
            rest.push_back(argv[i]);
        }
    }
    std::vector<char*> out{argv[0]};
    out.insert(out.end(), globals.begin(), globals.end());
    out.insert(out.end(), rest.begin(), rest.end());
    out.insert(out.end(), argv + i, argv + argc);
    return out;
}

constexpr const char* k_footer =
    "\nExit codes: 0 success or compliant, 1 a negative result (drift, partial apply, losing budget),\n"
    "2 usage, input or system error. check: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (Nagios).\n"
    "exec: the command's own status (127 not found, 126 not executable).\n"
    "See keepalive-tune(8).";
}  // namespace

// A repeatable option takes one value per occurrence (lists take commas), so that
// `audit --path aws-nlb-tcp nginx.conf` leaves the file to the command.
static void one_value_per_occurrence(CLI::App& app) {
    for (CLI::Option* o : app.get_options())
        if (!o->get_positional() && o->get_items_expected_max() > 1) o->allow_extra_args(false);
    for (CLI::App* sub : app.get_subcommands({})) one_value_per_occurrence(*sub);
}

int main(int argc, char** argv) {
    using namespace kt::cli;
    // Large blocks (a pass's records, half a million plans) are mapped and unmapped whole. By
    // default glibc raises this threshold to the size of the largest block freed so far (the
    // kernel BTF libbpf parses, 5 MB), after which such blocks come from the heap and their
    // memory stays with the process when they are freed: apply's peak RSS was 52 MiB instead of
    // 36 at 100k sockets, 154 instead of 133 at 500k.
    mallopt(M_MMAP_THRESHOLD, 256 * 1024);
    CLI::App app("keepalive-tune: make TCP keepalive work on running services, and catch TIME_WAIT "
                 "buildup before ports run out.",
                 "keepalive-tune");
    app.set_version_flag("--version", std::string("keepalive-tune ") + kt::build::k_version);
    app.require_subcommand(1);
    app.fallthrough();
    app.footer(k_footer);

    GlobalOptions global;
    app.add_flag("--json", global.json, "print one JSON document instead of text");
    app.add_option("--profile-dir", global.profile_dirs,
                   "look for profiles here first (repeatable), before /etc/keepalive-tune/profiles "
                   "and the installed ones");

    Dispatch dispatch;
    for (const auto& spec : command_table()) {
        auto* sub = app.add_subcommand(std::string(spec.name), std::string(spec.summary));
        spec.setup(*sub, global, dispatch);
        if (const auto status = exit_status_of(spec.name); !status.empty())
            sub->footer("\nExit status: " + std::string(status) + "\nSee keepalive-tune(8).");
    }
    one_value_per_occurrence(app);

    try {
        auto args = global_options_first(argc, argv);
        app.parse(static_cast<int>(args.size()), args.data());
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        auto error = usage_error(app, e);
        for (const auto& spec : command_table())
            if (!spec.usage_hint.empty() && app.got_subcommand(std::string(spec.name))) error.why += spec.usage_hint;
        write_error(error);
        return usage_exit(app, error);
    }

    if (auto error = empty_value_error(app)) {
        write_error(*error);
        return usage_exit(app, *error);
    }

    const CLI::App* chosen = &app;
    while (!chosen->get_subcommands().empty()) chosen = chosen->get_subcommands().front();
    const Runner* run = dispatch.find(chosen);
    if (!run) {
        kt::write_error({chosen->get_name(), "nothing to run; see --help"});
        return k_exit_error;
    }
    try {
        auto result = (*run)();
        std::fflush(stdout);
        if (result) return *result;
        for (const auto& e : result.error()) write_error(e);
        return k_exit_error;
    } catch (const std::exception& e) {
        // Only bugs reach here; still one line and the error exit code, never an abort.
        kt::write_error({"internal error", e.what()});
        return k_exit_error;
    }
}
