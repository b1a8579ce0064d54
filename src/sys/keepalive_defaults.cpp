#include <string>
#include <utility>

#include "core/text/number_parse.hpp"
#include "sys/bpf_sockets.hpp"
#include "sys/sysctl.hpp"

namespace kt::sys {

Result<KeepaliveDefaults> read_keepalive_defaults(const NetnsTarget& netns) {
    KeepaliveDefaults d;
    const std::pair<const char*, std::uint32_t*> fields[] = {{"net.ipv4.tcp_keepalive_time", &d.idle_seconds},
                                                             {"net.ipv4.tcp_keepalive_intvl", &d.interval_seconds},
                                                             {"net.ipv4.tcp_keepalive_probes", &d.count}};
    for (const auto& [name, into] : fields) {
        auto text = read_sysctl(netns, name);
        if (!text) return std::unexpected(text.error());
        std::string trimmed = *text;
        while (!trimmed.empty() && (trimmed.back() == '\n' || trimmed.back() == ' ')) trimmed.pop_back();
        auto value = parse_whole_number(trimmed, 0, 0xffffffffu);
        if (!value) return fail(name, value.error().why);
        *into = static_cast<std::uint32_t>(*value);
    }
    return d;
}

}  // namespace kt::sys
