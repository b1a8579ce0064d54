#include "core/change/program_facts.hpp"

#include <gtest/gtest.h>

#include <cstring>

namespace kt {
namespace {

// A minimal little-endian ELF64: header, program headers, and the bytes they point at.
class ElfBuilder {
public:
    ElfBuilder() : m_bytes(64) {
        std::memcpy(m_bytes.data(), "\x7f" "ELF\x02\x01\x01", 7);
        put(0x36, 56, 2);  // e_phentsize
        put(0x3A, 64, 2);  // e_shentsize
    }
    void segment(std::uint32_t type, const std::string& content) { m_segments.push_back({type, content}); }
    std::vector<std::byte> bytes() {
        auto out = m_bytes;
        const std::uint64_t phoff = 64, data = phoff + 56 * m_segments.size();
        put_into(out, 0x20, phoff, 8);
        put_into(out, 0x38, m_segments.size(), 2);
        out.resize(data);
        for (std::size_t i = 0; i < m_segments.size(); ++i) {
            const auto at = phoff + 56 * i;
            put_into(out, at, m_segments[i].first, 4);
            put_into(out, at + 8, out.size(), 8);
            put_into(out, at + 0x20, m_segments[i].second.size(), 8);
            for (char c : m_segments[i].second) out.push_back(static_cast<std::byte>(c));
        }
        return out;
    }

private:
    void put(std::size_t at, std::uint64_t v, int n) { put_into(m_bytes, at, v, n); }
    static void put_into(std::vector<std::byte>& b, std::size_t at, std::uint64_t v, int n) {
        for (int i = 0; i < n; ++i) b[at + static_cast<std::size_t>(i)] = static_cast<std::byte>((v >> (8 * i)) & 0xff);
    }
    std::vector<std::byte> m_bytes;
    std::vector<std::pair<std::uint32_t, std::string>> m_segments;
};

Result<ElfFacts> inspect(const std::vector<std::byte>& file) {
    return inspect_elf(
        [&](std::uint64_t offset, std::span<std::byte> out) -> std::size_t {
            if (offset >= file.size()) return 0;
            const auto n = std::min<std::size_t>(out.size(), file.size() - offset);
            std::memcpy(out.data(), file.data() + offset, n);
            return n;
        },
        "prog");
}

TEST(ProgramFactsTest, AnInterpreterMeansDynamic) {
    ElfBuilder b;
    b.segment(3, std::string("/lib64/ld-linux-x86-64.so.2\0", 28));
    auto f = inspect(b.bytes());
    ASSERT_TRUE(f.has_value()) << f.error().line();
    EXPECT_TRUE(f->dynamic);
    EXPECT_EQ(f->interpreter, "/lib64/ld-linux-x86-64.so.2");
    EXPECT_FALSE(f->go);
}

TEST(ProgramFactsTest, NoInterpreterMeansStatic) {
    ElfBuilder b;
    b.segment(1, "code");
    auto f = inspect(b.bytes());
    ASSERT_TRUE(f.has_value());
    EXPECT_FALSE(f->dynamic);
    ProgramFacts p{"prog", false, false, false, *f};
    ASSERT_EQ(preload_obstacles(p).size(), 1u);
    EXPECT_EQ(preload_obstacles(p)[0], "is statically linked (no dynamic loader to read LD_PRELOAD)");
}

TEST(ProgramFactsTest, AGoBuildIdNoteMarksAGoProgram) {
    ElfBuilder b;
    b.segment(3, std::string("/lib64/ld-linux-x86-64.so.2\0", 28));
    // namesz 3, descsz 4, type 4, "Go\0" padded to 4, desc "abcd".
    b.segment(4, std::string("\x03\0\0\0\x04\0\0\0\x04\0\0\0Go\0\0abcd", 20));
    auto f = inspect(b.bytes());
    ASSERT_TRUE(f.has_value());
    EXPECT_TRUE(f->dynamic);
    EXPECT_TRUE(f->go);
}

TEST(ProgramFactsTest, NotAnElfAndHostileHeadersAreErrorsNotCrashes) {
    EXPECT_FALSE(inspect({}).has_value());
    std::vector<std::byte> text(100, std::byte{'#'});
    EXPECT_FALSE(inspect(text).has_value());
    ElfBuilder b;
    auto bytes = b.bytes();
    bytes[0x38] = std::byte{0xff};  // 65535 program headers of which none exist
    bytes[0x39] = std::byte{0xff};
    EXPECT_FALSE(inspect(bytes).has_value());
}

TEST(ProgramFactsTest, PrivilegeChangesAreObstacles) {
    ProgramFacts p;
    p.elf = ElfFacts{true, "/lib64/ld-linux-x86-64.so.2", false};
    EXPECT_TRUE(preload_obstacles(p).empty());
    p.setuid = true;
    p.file_capabilities = true;
    EXPECT_EQ(preload_obstacles(p).size(), 2u);
}

TEST(ProgramFactsTest, ShebangGivesTheInterpreterAndOneArgument) {
    auto s = parse_shebang("#!/usr/bin/env python3 -u\nprint(1)\n");
    ASSERT_TRUE(s.has_value());
    EXPECT_EQ(s->interpreter, "/usr/bin/env");
    EXPECT_EQ(s->argument, "python3 -u");
    EXPECT_EQ(parse_shebang("#! /bin/sh\r\n")->interpreter, "/bin/sh");
    EXPECT_FALSE(parse_shebang("\x7f" "ELF").has_value());
    EXPECT_FALSE(parse_shebang("#!\n").has_value());
}

}  // namespace
}  // namespace kt
