// Rendering snippets with the built binary and handing them to the real tools of each target.
#pragma once

#include <string>
#include <vector>

#include "support/temp_dir.hpp"

namespace kt::test {

// The path of `name` on PATH, or empty.
std::string find_on_path(const std::string& name);

struct RenderedSnippet {
    std::string title;
    std::string syntax;
    std::string text;  // with its comment header, as it goes into its file
};

// `profile render PROFILE --for TARGET [--side SIDE] [extra...] --json`: the snippets, or none
// (and a test failure) when the command failed.
std::vector<RenderedSnippet> render_snippets(const std::string& profile, const std::string& target,
                                             const std::string& side = "both",
                                             const std::vector<std::string>& extra = {});

// `text` with the value after the first `key` outside comment lines (up to a space, ';' or line
// end) replaced by `value`: a directive broken on purpose, to see the checker refuse it. Fails
// the test when `key` is not there.
std::string break_value(const std::string& text, const std::string& key, const std::string& value);

// Profile files covering every case the renderers branch on: a user timeout in whole seconds
// (aws-nlb), none (envoy-gloo), one of 1500 ms, one of 0, and keepalive off. Written into `d`
// except the shipped ones.
std::vector<std::string> validation_profiles(const TempDir& d);

// argv run as the user nobody when this process is root (setpriv), as it is otherwise: for
// tools that refuse to run as root.
std::vector<std::string> as_unprivileged(std::vector<std::string> argv);

}  // namespace kt::test
