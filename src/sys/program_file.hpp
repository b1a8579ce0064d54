// The program `exec` is about to run: where it is, and what the loader will make of it.
#pragma once

#include <string>

#include "core/change/program_facts.hpp"
#include "core/text/error.hpp"

namespace kt::sys {

// `name` as execvp finds it: as given when it has a '/', else the first executable regular file
// of that name in $PATH (or /usr/local/bin:/usr/bin:/bin when PATH is unset). The error's code
// is ENOENT (not found) or EACCES (found but not executable).
Result<std::string> find_program(const std::string& name, const char* path_env);

// Mode bits, file capabilities and ELF facts of `path`; for a script, of its interpreter
// (`#!/usr/bin/env NAME` is followed to NAME in $PATH).
Result<ProgramFacts> describe_program(const std::string& path, const char* path_env);

// libkeepalive-tune-preload.so beside this binary's build tree or its install prefix.
Result<std::string> preload_library_path();

}  // namespace kt::sys
