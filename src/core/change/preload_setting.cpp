#include "core/change/preload_setting.hpp"

#include "core/text/word_list.hpp"

namespace kt {

std::string preload_setting(const Profile& p, PreloadRoles roles, bool enforce) {
    std::string s = "v1 keepalive=" + std::string(p.keepalive.enabled ? "1" : "0") +
                    " idle=" + std::to_string(p.keepalive.idle_seconds) +
                    " interval=" + std::to_string(p.keepalive.interval_seconds) + " count=" + std::to_string(p.keepalive.count);
    if (p.user_timeout_ms) s += " user_timeout=" + std::to_string(*p.user_timeout_ms);
    s += " roles=";
    s += roles.listener && roles.upstream ? "listener,upstream" : roles.listener ? "listener" : "upstream";
    s += enforce ? " enforce=1" : " enforce=0";
    return s;
}

Result<PreloadRoles> parse_preload_roles(std::string_view text) {
    PreloadRoles r{false, false};
    for (const auto& word : split_words(text)) {
        if (word == "listener")
            r.listener = true;
        else if (word == "upstream")
            r.upstream = true;
        else
            return fail("--role " + std::string(text), "\"" + std::string(word) +
                                                          "\" is not listener or upstream (accepted connections "
                                                          "inherit the listener's options)");
    }
    if (!r.listener && !r.upstream) return fail("--role", "give listener, upstream or both");
    return r;
}

std::string preload_list(std::string_view library, std::string_view existing) {
    std::string out(library);
    // Keep every entry but our own library, so a nested exec does not stack it twice.
    std::size_t at = 0;
    while (at < existing.size()) {
        const auto end = existing.find_first_of(" :", at);
        const auto word = existing.substr(at, end == std::string_view::npos ? std::string_view::npos : end - at);
        if (!word.empty() && word != library) out += " " + std::string(word);
        if (end == std::string_view::npos) break;
        at = end + 1;
    }
    return out;
}

}  // namespace kt
