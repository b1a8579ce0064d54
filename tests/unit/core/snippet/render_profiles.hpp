// Profiles and look-ups shared by the render tests.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "core/snippet/render_target.hpp"

namespace kt::test {

inline Profile render_profile_of(std::uint32_t idle, std::uint32_t interval, std::uint32_t count,
                                 std::optional<std::uint32_t> user_timeout_ms) {
    Profile p;
    p.name = "lab";
    p.summary = "s";
    p.description = "d";
    p.keepalive = {true, idle, interval, count};
    p.user_timeout_ms = user_timeout_ms;
    p.source = "profiles/lab.json";
    return p;
}

// 240/30/4 with a 360000 ms user timeout (aws-nlb's values).
inline Profile nlb_profile() {
    return render_profile_of(240, 30, 4, 360000);
}

inline Profile off_profile() {
    Profile p = render_profile_of(7200, 75, 9, std::nullopt);
    p.keepalive.enabled = false;
    return p;
}

inline Rendering rendered(const Profile& p, std::string_view target, Side side = Side::both,
                          std::optional<EnvoyVersion> envoy = std::nullopt) {
    auto r = render_profile(p, target, RenderOptions{side, envoy, std::nullopt});
    EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().line());
    return r ? *r : Rendering{};
}

// Every snippet's body, one after the other.
inline std::string bodies(const Rendering& r) {
    std::string all;
    for (const auto& s : r.snippets) all += s.body;
    return all;
}

// Every caveat's kind and text, one a line.
inline std::string caveat_lines(const Rendering& r) {
    std::string all;
    for (const auto& c : all_caveats(r)) all += std::string(caveat_kind_name(c.kind)) + ": " + c.text + "\n";
    return all;
}

inline bool has(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

}  // namespace kt::test
