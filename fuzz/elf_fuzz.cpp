// libFuzzer target: the ELF reader of `exec` on hostile bytes (exec reads any program a user
// names): program and section headers with any counts, offsets and sizes.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "core/change/program_facts.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const kt::ReadAt read = [data, size](std::uint64_t offset, std::span<std::byte> out) -> std::size_t {
        if (offset >= size) return 0;
        const std::size_t n = std::min<std::size_t>(out.size(), size - static_cast<std::size_t>(offset));
        if (n > 0) std::memcpy(out.data(), data + offset, n);
        return n;
    };
    if (auto facts = kt::inspect_elf(read, "fuzz")) (void)facts->interpreter.size();
    return 0;
}
