#include "core/change/program_facts.hpp"

#include <array>
#include <cstring>

namespace kt {

namespace {
constexpr std::uint32_t k_pt_interp = 3;
constexpr std::uint32_t k_pt_note = 4;
// Bounds on what a header may ask to read, so a hostile file cannot make us read gigabytes.
constexpr std::uint32_t k_max_headers = 4096;
constexpr std::uint64_t k_max_table = 1 << 20;

std::uint64_t le(const std::byte* p, int n) {
    std::uint64_t v = 0;
    for (int i = n - 1; i >= 0; --i) v = (v << 8) | std::to_integer<std::uint64_t>(p[i]);
    return v;
}

struct Layout {
    bool wide;  // ELF64
    std::uint64_t phoff, shoff;
    std::uint32_t phentsize, phnum, shentsize, shnum, shstrndx;
};

// Reads exactly `size` bytes at `offset` or fails.
bool read_exact(const ReadAt& read, std::uint64_t offset, std::vector<std::byte>& out, std::uint64_t size) {
    if (size > k_max_table) return false;
    out.resize(static_cast<std::size_t>(size));
    return read(offset, out) == out.size();
}

bool is_go_section(std::string_view name) {
    return name == ".go.buildinfo" || name == ".gopclntab" || name == ".note.go.buildid";
}

// A PT_NOTE segment's notes, looking for the owner "Go" (Go's build-id note).
bool has_go_note(const std::vector<std::byte>& notes) {
    std::size_t at = 0;
    while (at + 12 <= notes.size()) {
        const auto namesz = le(&notes[at], 4), descsz = le(&notes[at + 4], 4);
        const std::size_t name_at = at + 12;
        if (namesz > notes.size() || descsz > notes.size()) return false;
        if (name_at + namesz > notes.size()) return false;
        if (namesz == 3 && std::memcmp(&notes[name_at], "Go\0", 3) == 0) return true;
        at = name_at + ((namesz + 3) & ~std::uint64_t{3}) + ((descsz + 3) & ~std::uint64_t{3});
    }
    return false;
}
}  // namespace

Result<ElfFacts> inspect_elf(const ReadAt& read, std::string_view source) {
    const std::string src(source);
    std::array<std::byte, 64> h{};
    const auto got = read(0, h);
    if (got < 52 || std::memcmp(h.data(), "\x7f" "ELF", 4) != 0) return fail(src, "not an ELF file");
    const auto cls = std::to_integer<int>(h[4]), data = std::to_integer<int>(h[5]);
    if (data != 1) return fail(src, "a big-endian ELF file, which is not checked");
    if (cls != 1 && cls != 2) return fail(src, "an ELF file of unknown class");
    Layout l{};
    l.wide = cls == 2;
    if (l.wide && got < 64) return fail(src, "a truncated ELF header");
    l.phoff = l.wide ? le(&h[0x20], 8) : le(&h[0x1C], 4);
    l.shoff = l.wide ? le(&h[0x28], 8) : le(&h[0x20], 4);
    const std::size_t base = l.wide ? 0x36 : 0x2A;
    l.phentsize = static_cast<std::uint32_t>(le(&h[base], 2));
    l.phnum = static_cast<std::uint32_t>(le(&h[base + 2], 2));
    l.shentsize = static_cast<std::uint32_t>(le(&h[base + 4], 2));
    l.shnum = static_cast<std::uint32_t>(le(&h[base + 6], 2));
    l.shstrndx = static_cast<std::uint32_t>(le(&h[base + 8], 2));
    const std::uint32_t ph_min = l.wide ? 56 : 32, sh_min = l.wide ? 64 : 40;
    if (l.phnum > k_max_headers || l.shnum > k_max_headers || (l.phnum && l.phentsize < ph_min) ||
        (l.shnum && l.shentsize < sh_min))
        return fail(src, "an ELF file with implausible headers");

    ElfFacts facts;
    std::vector<std::byte> table, chunk;
    if (l.phnum && !read_exact(read, l.phoff, table, std::uint64_t{l.phnum} * l.phentsize))
        return fail(src, "cannot read the ELF program headers");
    for (std::uint32_t i = 0; i < l.phnum; ++i) {
        const std::byte* ph = &table[std::size_t{i} * l.phentsize];
        const auto type = le(ph, 4);
        const auto offset = l.wide ? le(ph + 8, 8) : le(ph + 4, 4);
        const auto size = l.wide ? le(ph + 0x20, 8) : le(ph + 0x10, 4);
        if (type == k_pt_interp) {
            if (!read_exact(read, offset, chunk, std::min<std::uint64_t>(size, 4096))) return fail(src, "cannot read PT_INTERP");
            facts.dynamic = true;
            facts.interpreter.assign(reinterpret_cast<const char*>(chunk.data()), chunk.size());
            facts.interpreter.resize(std::strlen(facts.interpreter.c_str()));
        } else if (type == k_pt_note && size <= 65536 && read_exact(read, offset, chunk, size) && has_go_note(chunk)) {
            facts.go = true;
        }
    }
    if (facts.go || !l.shnum || l.shstrndx >= l.shnum) return facts;
    // Section names: a stripped Go binary keeps .go.buildinfo and .gopclntab.
    if (!read_exact(read, l.shoff, table, std::uint64_t{l.shnum} * l.shentsize)) return facts;
    const std::byte* strtab_header = &table[std::size_t{l.shstrndx} * l.shentsize];
    const auto str_off = l.wide ? le(strtab_header + 0x18, 8) : le(strtab_header + 0x10, 4);
    const auto str_size = l.wide ? le(strtab_header + 0x20, 8) : le(strtab_header + 0x14, 4);
    if (!read_exact(read, str_off, chunk, str_size)) return facts;
    for (std::uint32_t i = 0; i < l.shnum && !facts.go; ++i) {
        const auto name = le(&table[std::size_t{i} * l.shentsize], 4);
        if (name >= chunk.size()) continue;
        const char* s = reinterpret_cast<const char*>(chunk.data()) + name;
        facts.go = is_go_section(std::string_view(s, strnlen(s, chunk.size() - name)));
    }
    return facts;
}

std::optional<Shebang> parse_shebang(std::string_view head) {
    if (!head.starts_with("#!")) return std::nullopt;
    head.remove_prefix(2);
    head = head.substr(0, head.find('\n'));
    auto blank = [](char c) { return c == ' ' || c == '\t'; };
    while (!head.empty() && blank(head.front())) head.remove_prefix(1);
    while (!head.empty() && (blank(head.back()) || head.back() == '\r')) head.remove_suffix(1);
    if (head.empty()) return std::nullopt;
    std::size_t end = 0;
    while (end < head.size() && !blank(head[end])) ++end;
    Shebang s{std::string(head.substr(0, end)), {}};
    head.remove_prefix(end);
    while (!head.empty() && blank(head.front())) head.remove_prefix(1);
    s.argument = std::string(head);
    return s;
}

std::vector<std::string> preload_obstacles(const ProgramFacts& p) {
    std::vector<std::string> out;
    if (p.elf && !p.elf->dynamic) out.push_back("is statically linked (no dynamic loader to read LD_PRELOAD)");
    if (p.elf && p.elf->go) out.push_back("is a Go program (its runtime makes system calls directly, not through libc)");
    if (p.setuid || p.setgid)
        out.push_back(std::string("is set-") + (p.setuid ? "uid" : "gid") +
                      " (the loader ignores LD_PRELOAD when it changes privileges)");
    if (p.file_capabilities) out.push_back("has file capabilities (the loader ignores LD_PRELOAD in secure-execution mode)");
    return out;
}

}  // namespace kt
