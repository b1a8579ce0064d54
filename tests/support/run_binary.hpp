// Running the built keepalive-tune (or any program) and capturing what it printed.
#pragma once

#include <string>
#include <vector>

namespace kt::test {

struct RunResult {
    int exit_code = -1;  // 128 + signal when killed
    std::string out;
    std::string err;
};

// Runs `argv` (argv[0] is a path), with a 30 s limit after which it is killed.
RunResult run_program(const std::vector<std::string>& argv);

// Runs the built keepalive-tune with `args`.
RunResult run_tool(const std::vector<std::string>& args);

std::string tool_path();
std::string source_dir();

}  // namespace kt::test
