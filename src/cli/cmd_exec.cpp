// `keepalive-tune exec PROFILE -- COMMAND`: run COMMAND with the preload library, so the profile
// goes on every listener and upstream socket it opens. Replaces itself with COMMAND: the exit
// status and signals are the program's own.
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <memory>

#include "cli/command.hpp"
#include "core/change/preload_setting.hpp"
#include "sys/files.hpp"
#include "sys/output.hpp"
#include "sys/profile_store.hpp"
#include "sys/program_file.hpp"

#include "preload/preload_config.h"

namespace kt::cli {

namespace {
// What a shell returns when it cannot run a command (env(1) and POSIX sh agree).
constexpr int k_exit_cannot_execute = 126;
constexpr int k_exit_not_found = 127;

struct ExecOptions {
    std::string profile;
    std::vector<std::string> command;
    std::string roles = "listener,upstream";
    bool enforce = false;
    bool strict = false;
};

std::string alternative(const std::string& profile) {
    return "once it runs, use `keepalive-tune apply " + profile +
           " --pid PID` for its sockets, and `apply --watch` for the connections it opens later";
}

CommandResult run_exec(const GlobalOptions& g, const ExecOptions& o) {
    if (o.command.empty()) return std::unexpected(Errors{{"exec", "give the command to run after --: exec PROFILE -- COMMAND [ARG...]"}});
    auto roles = parse_preload_roles(o.roles);
    if (!roles) return std::unexpected(Errors{roles.error()});
    auto p = sys::load_profile(o.profile, sys::default_profile_dirs(g.profile_dirs));
    if (!p) return std::unexpected(p.error());
    auto library = sys::preload_library_path();
    if (!library) return std::unexpected(Errors{library.error()});
    if (library->find_first_of(" :") != std::string::npos)
        return std::unexpected(Errors{{*library, "LD_PRELOAD cannot name a path with a space or a colon; install to another prefix"}});

    const char* path_env = std::getenv("PATH");
    auto program = sys::find_program(o.command.front(), path_env);
    if (!program) {
        write_error(program.error());
        return program.error().code == EACCES ? k_exit_cannot_execute : k_exit_not_found;
    }
    if (auto facts = sys::describe_program(*program, path_env)) {
        for (const auto& why : preload_obstacles(*facts)) {
            const std::string line = *program + (facts->path != *program ? " (run by " + facts->path + ")" : "") + " " + why +
                                     ": LD_PRELOAD cannot reach its sockets";
            if (o.strict) return std::unexpected(Errors{{line, alternative(p->name)}});
            write_warning(line + "; " + alternative(p->name));
        }
    } else {
        write_warning(facts.error().line() + ": cannot tell whether LD_PRELOAD will reach it");
    }

    const std::string setting = preload_setting(*p, *roles, o.enforce);
    const char* existing = std::getenv("LD_PRELOAD");
    if (setenv(KT_PRELOAD_ENV, setting.c_str(), 1) != 0 ||
        setenv("LD_PRELOAD", preload_list(*library, existing ? existing : "").c_str(), 1) != 0)
        return std::unexpected(Errors{{"environment", sys::errno_text(errno)}});

    std::vector<char*> argv;
    for (const auto& a : o.command) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    std::fflush(stdout);
    execv(program->c_str(), argv.data());
    const int err = errno;
    write_error({*program, "cannot execute: " + sys::errno_text(err)});
    return err == ENOENT ? k_exit_not_found : k_exit_cannot_execute;
}
}  // namespace

void setup_exec(CLI::App& cmd, const GlobalOptions& global, Dispatch& dispatch) {
    auto o = std::make_shared<ExecOptions>();
    cmd.add_option("profile", o->profile, "profile name or path to a .json file")->required();
    cmd.add_option("command", o->command, "the program and its arguments, after --");
    cmd.add_option("--role", o->roles, "listener, upstream or both (default): which sockets get the profile");
    cmd.add_flag("--enforce", o->enforce, "replace keepalive values the program sets itself with the profile's");
    cmd.add_flag("--strict", o->strict, "refuse (exit 2) when LD_PRELOAD cannot work: static, Go, set-uid or file-capability binaries");
    dispatch.on(&cmd, [&global, o] { return run_exec(global, *o); });
}

}  // namespace kt::cli
