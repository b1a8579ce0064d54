#include "support/temp_dir.hpp"

#include <stdlib.h>

#include <filesystem>
#include <fstream>

namespace kt::test {

TempDir::TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "kt-test-XXXXXX").string();
    if (mkdtemp(pattern.data())) m_path = pattern;
}

TempDir::~TempDir() {
    std::error_code ec;
    if (!m_path.empty()) std::filesystem::remove_all(m_path, ec);
}

std::string TempDir::write(std::string_view name, std::string_view text) const {
    const std::string full = m_path + "/" + std::string(name);
    std::filesystem::create_directories(std::filesystem::path(full).parent_path());
    std::ofstream(full, std::ios::binary) << text;
    return full;
}

std::string TempDir::write_profile(const std::string& name, int idle, int interval, int count,
                                   int user_timeout_ms) const {
    return write(name + ".json",
                 "{\"name\": \"" + name + "\", \"summary\": \"test\", \"description\": \"test\", " +
                     "\"keepalive\": {\"enabled\": true, \"idle_seconds\": " + std::to_string(idle) +
                     ", \"interval_seconds\": " + std::to_string(interval) + ", \"count\": " + std::to_string(count) +
                     "}" + (user_timeout_ms > 0 ? ", \"user_timeout_ms\": " + std::to_string(user_timeout_ms) : std::string()) +
                     "}");
}

}  // namespace kt::test
