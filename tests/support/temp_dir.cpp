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

}  // namespace kt::test
