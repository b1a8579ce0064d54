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
    // A valid profile NAME.json with these keepalive values (and a user timeout if > 0).
    std::string write_profile(const std::string& name, int idle, int interval, int count, int user_timeout_ms = 0) const;

private:
    std::string m_path;
};

}  // namespace kt::test
