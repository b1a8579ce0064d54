// What the dynamic loader will do with a program, read from its bytes: whether LD_PRELOAD can
// reach its sockets (`exec`), and why not.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/text/error.hpp"

namespace kt {

struct ElfFacts {
    bool dynamic = false;      // has PT_INTERP: ld.so runs, and honours LD_PRELOAD
    std::string interpreter;   // PT_INTERP ("/lib64/ld-linux-x86-64.so.2")
    bool go = false;           // a Go program: its runtime makes system calls itself, not through libc
};

// Reads up to out.size() bytes at `offset`; returns how many were read (short at end of file).
using ReadAt = std::function<std::size_t(std::uint64_t offset, std::span<std::byte> out)>;

// Parses a little-endian ELF32 or ELF64 file: PT_INTERP, and Go's marks (a .go.buildinfo,
// .gopclntab or .note.go.buildid section, or a PT_NOTE owned by "Go"). `source` names the
// file in errors; an error means "not an ELF this can judge".
Result<ElfFacts> inspect_elf(const ReadAt& read, std::string_view source);

// "#!/usr/bin/env python3 -u" -> {"/usr/bin/env", "python3 -u"}; nullopt when `head` is not a script.
struct Shebang {
    std::string interpreter;
    std::string argument;  // everything after the interpreter, as the kernel passes it: one word
};
std::optional<Shebang> parse_shebang(std::string_view head);

// The facts about the program that will actually run (for a script: its interpreter).
struct ProgramFacts {
    std::string path;
    bool setuid = false;
    bool setgid = false;
    bool file_capabilities = false;  // security.capability xattr
    std::optional<ElfFacts> elf;     // nullopt: not an ELF (or one that could not be judged)
};

// Why LD_PRELOAD will not reach this program's sockets; empty when it will.
std::vector<std::string> preload_obstacles(const ProgramFacts& p);

}  // namespace kt
