// libFuzzer target: arbitrary text through the paths file parser (--paths FILE), the path
// list parser (--path) and the duration parser, then every parsed rule through the matcher.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/profile/catalogue.hpp"
#include "core/profile/network_path.hpp"
#include "core/socket/ip_text.hpp"
#include "core/text/duration.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const auto catalogue = kt::middlebox_catalogue();
    if (auto rules = kt::parse_paths_file(text, "fuzz.json", catalogue)) {
        for (const char* a : {"10.0.1.9", "::ffff:10.0.1.9", "::1", "0.0.0.0"})
            if (const auto* r = kt::match_path(*rules, *kt::parse_ip_address(a))) (void)r->path.size();
    }
    (void)kt::parse_path_list(text, "--path", catalogue);
    (void)kt::parse_duration_ms(text);
    return 0;
}
