#include "sys/sysctl.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "sys/files.hpp"
#include "sys/unique_fd.hpp"

namespace kt::sys {

std::string sysctl_path(const std::string& name) {
    std::string path = "/proc/sys/" + name;
    std::replace(path.begin() + 10, path.end(), '.', '/');
    return path;
}

Result<std::string> read_sysctl(const NetnsTarget& ns, const std::string& name) {
    std::string value;
    auto r = run_in_netns(ns, [&]() -> Result<void> {
        auto text = read_text_file(sysctl_path(name), 4096);
        if (!text) return std::unexpected(text.error());
        value = *text;
        while (!value.empty() && (value.back() == '\n' || value.back() == ' ')) value.pop_back();
        return {};
    });
    if (!r) return std::unexpected(r.error());
    return value;
}

Result<void> write_sysctl(const NetnsTarget& ns, const std::string& name, const std::string& value) {
    return run_in_netns(ns, [&]() -> Result<void> {
        UniqueFd fd(::open(sysctl_path(name).c_str(), O_WRONLY | O_CLOEXEC));
        if (!fd) {
            const int err = errno;
            return fail(name, errno_text(err) + (err == EACCES || err == EPERM ? refusal_hint("writing sysctls needs root") : ""));
        }
        const std::string line = value + "\n";
        if (::write(fd.get(), line.data(), line.size()) != static_cast<ssize_t>(line.size()))
            return fail(name + "=" + value, errno_text(errno));
        return {};
    });
}

}  // namespace kt::sys
