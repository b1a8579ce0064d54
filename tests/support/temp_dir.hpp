// A scratch directory removed with everything in it when the test ends.
#pragma once

#include <string>
#include <string_view>

namespace kt::test {

class TempDir {
public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    const std::string& path() const { return m_path; }
    // Writes `text` to path()/name and returns the full path.
    std::string write(std::string_view name, std::string_view text) const;

private:
    std::string m_path;
};

}  // namespace kt::test
