// The command table: each command binds its options in `setup` and does its work in the
// runner it registers; nothing runs inside CLI11 callbacks.
#pragma once

#include <CLI/CLI.hpp>
#include <expected>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/text/error.hpp"

namespace kt::cli {

// Exit codes shared by every command except `check` (which speaks Nagios).
inline constexpr int k_exit_ok = 0;
inline constexpr int k_exit_negative = 1;  // drift, partial apply, a losing budget
inline constexpr int k_exit_error = 2;     // usage, input or system error

struct GlobalOptions {
    bool json = false;
    std::vector<std::string> profile_dirs;
};

// Ok: the exit code. Error: what main prints, one line each, then exit 2.
using CommandResult = std::expected<int, Errors>;
using Runner = std::function<CommandResult()>;

// Which runner belongs to which (sub)command, filled in by the setups.
class Dispatch {
public:
    void on(const CLI::App* app, Runner run) { m_runners.emplace_back(app, std::move(run)); }
    const Runner* find(const CLI::App* app) const {
        for (const auto& [a, r] : m_runners)
            if (a == app) return &r;
        return nullptr;
    }

private:
    std::vector<std::pair<const CLI::App*, Runner>> m_runners;
};

struct CommandSpec {
    std::string_view name;
    std::string_view summary;
    void (*setup)(CLI::App& command, const GlobalOptions& global, Dispatch& dispatch);
    // A Nagios plugin (`check`): usage errors exit 3 with an UNKNOWN line on stdout too.
    bool nagios = false;
    // Added to this command's usage errors.
    std::string_view usage_hint = {};
};

inline constexpr int k_exit_nagios_unknown = 3;

// What a command's exit status means, for its --help (empty: the command says so itself).
std::string_view exit_status_of(std::string_view command);

std::span<const CommandSpec> command_table();

// Each command's setup lives in its own cmd_*.cpp.
void setup_profile(CLI::App& command, const GlobalOptions& global, Dispatch& dispatch);
// `profile render`, a subcommand of `profile` in a file of its own (cmd_profile_render.cpp).
void setup_profile_render(CLI::App& profile, const GlobalOptions& global, Dispatch& dispatch);
void setup_inspect(CLI::App& command, const GlobalOptions& global, Dispatch& dispatch);
void setup_apply(CLI::App& command, const GlobalOptions& global, Dispatch& dispatch);
void setup_verify(CLI::App& command, const GlobalOptions& global, Dispatch& dispatch);
void setup_undo(CLI::App& command, const GlobalOptions& global, Dispatch& dispatch);
void setup_timewait(CLI::App& command, const GlobalOptions& global, Dispatch& dispatch);
void setup_check(CLI::App& command, const GlobalOptions& global, Dispatch& dispatch);
void setup_health(CLI::App& command, const GlobalOptions& global, Dispatch& dispatch);
void setup_reap(CLI::App& command, const GlobalOptions& global, Dispatch& dispatch);
void setup_probe(CLI::App& command, const GlobalOptions& global, Dispatch& dispatch);
void setup_exec(CLI::App& command, const GlobalOptions& global, Dispatch& dispatch);
void setup_enforce(CLI::App& command, const GlobalOptions& global, Dispatch& dispatch);
void setup_agent(CLI::App& command, const GlobalOptions& global, Dispatch& dispatch);
void setup_audit(CLI::App& command, const GlobalOptions& global, Dispatch& dispatch);
void setup_trace(CLI::App& command, const GlobalOptions& global, Dispatch& dispatch);

}  // namespace kt::cli
