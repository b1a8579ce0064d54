#include "sys/agent_state.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <nlohmann/json.hpp>

#include "sys/files.hpp"

namespace kt::sys {

namespace {
constexpr const char* k_schema = "keepalive-tune.agent-pins.v1";

Result<void> make_dirs(const std::string& dir) {
    for (std::size_t slash = dir.find('/', 1);; slash = dir.find('/', slash + 1)) {
        const std::string part = dir.substr(0, slash);
        if (::mkdir(part.c_str(), 0700) != 0 && errno != EEXIST) return fail(part, errno_text(errno));
        if (slash == std::string::npos) return {};
    }
}
}  // namespace

Result<AgentPins> read_agent_pins(const std::string& dir) {
    const std::string path = dir + "/pins.json";
    AgentPins out;
    if (::access(path.c_str(), F_OK) != 0) return out;
    auto text = read_text_file(path, 16 << 20);
    if (!text) return std::unexpected(text.error());
    const auto doc = nlohmann::json::parse(*text, nullptr, false);
    if (!doc.is_object() || doc.value("schema", "") != k_schema || !doc.contains("pins") || !doc["pins"].is_array())
        return fail(path, std::string("not a ") + k_schema + " file; move it away to start afresh (pins made before stay "
                                                              "attached and are reported as made by hand)");
    for (const auto& p : doc["pins"]) {
        if (!p.is_object() || !p.contains("cgroup_id") || !p["cgroup_id"].is_number_unsigned())
            return fail(path, "a pin without a cgroup_id");
        out[p["cgroup_id"].get<std::uint64_t>()] = {p.value("cgroup", ""), p.value("rule", "")};
    }
    return out;
}

Result<void> write_agent_pins(const std::string& dir, const AgentPins& pins) {
    if (auto made = make_dirs(dir); !made) return made;
    nlohmann::json list = nlohmann::json::array();
    for (const auto& [id, p] : pins) list.push_back({{"cgroup_id", id}, {"cgroup", p.cgroup}, {"rule", p.rule}});
    return write_file_atomically(dir + "/pins.json", nlohmann::json{{"schema", k_schema}, {"pins", list}}.dump(1) + "\n", 0600);
}

Result<AgentLock> AgentLock::take(const std::string& path) {
    const auto slash = path.rfind('/');
    if (slash != std::string::npos && slash > 0)
        if (auto made = make_dirs(path.substr(0, slash)); !made) return std::unexpected(made.error());
    UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
    if (!fd) return fail(path, errno_text(errno));
    if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
        const int err = errno;
        if (err != EWOULDBLOCK) return fail(path, errno_text(err));
        char buf[32] = {};
        const ssize_t n = ::pread(fd.get(), buf, sizeof buf - 1, 0);
        std::string pid(buf, n > 0 ? static_cast<std::size_t>(n) : 0);
        while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
        return fail("agent", "another agent is running on this node (pid " + (pid.empty() ? std::string("unknown") : pid) +
                                 ", lock " + path + "); one agent per node");
    }
    const std::string self = std::to_string(::getpid()) + "\n";
    if (::ftruncate(fd.get(), 0) != 0 || ::pwrite(fd.get(), self.data(), self.size(), 0) != static_cast<ssize_t>(self.size()))
        return fail(path, errno_text(errno));
    return AgentLock(std::move(fd));
}

}  // namespace kt::sys
