#include "support/snippet_check.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <nlohmann/json.hpp>

#include "support/run_binary.hpp"

namespace kt::test {

std::string find_on_path(const std::string& name) {
    const char* path = std::getenv("PATH");
    std::string dirs = path ? path : "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin";
    // Tools like nginx, haproxy and sysctl live in sbin, which a non-root PATH may lack.
    dirs += ":/usr/local/sbin:/usr/sbin:/sbin";
    std::size_t start = 0;
    while (start <= dirs.size()) {
        auto end = dirs.find(':', start);
        if (end == std::string::npos) end = dirs.size();
        const std::string candidate = dirs.substr(start, end - start) + "/" + name;
        if (end > start && access(candidate.c_str(), X_OK) == 0) return candidate;
        start = end + 1;
    }
    return {};
}

std::vector<RenderedSnippet> render_snippets(const std::string& profile, const std::string& target,
                                             const std::string& side, const std::vector<std::string>& extra) {
    std::vector<std::string> args{"--json", "profile", "render", profile, "--for", target, "--side", side};
    args.insert(args.end(), extra.begin(), extra.end());
    const auto r = run_tool(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    if (r.exit_code != 0) return {};
    const auto doc = nlohmann::json::parse(r.out);
    std::vector<RenderedSnippet> snippets;
    for (const auto& s : doc["snippets"]) snippets.push_back({s["title"], s["syntax"], s["text"]});
    return snippets;
}

std::string break_value(const std::string& text, const std::string& key, const std::string& value) {
    // The first occurrence outside the comment header, which names the same directives.
    auto at = text.find(key);
    while (at != std::string::npos) {
        const auto line = text.rfind('\n', at) == std::string::npos ? 0 : text.rfind('\n', at) + 1;
        const auto first = text.find_first_not_of(" \t", line);
        if (text.compare(first, 1, "#") != 0 && text.compare(first, 2, "//") != 0) break;
        at = text.find(key, at + 1);
    }
    EXPECT_NE(at, std::string::npos) << key << " is not in\n" << text;
    if (at == std::string::npos) return text;
    const auto from = at + key.size();
    const auto to = text.find_first_of(" ;\n", from);
    return text.substr(0, from) + value + text.substr(to == std::string::npos ? text.size() : to);
}

std::vector<std::string> validation_profiles(const TempDir& d) {
    const auto doc = [](const std::string& name, const std::string& keepalive, const std::string& more) {
        return "{\"name\": \"" + name + "\", \"summary\": \"s\", \"description\": \"d\", \"keepalive\": " + keepalive +
               more + "}";
    };
    const std::string values = R"({"enabled": true, "idle_seconds": 45, "interval_seconds": 7, "count": 5})";
    return {source_dir() + "/profiles/aws-nlb.json", source_dir() + "/profiles/envoy-gloo.json",
            d.write("odd-ms.json", doc("odd-ms", values, ", \"user_timeout_ms\": 1500")),
            d.write("zero-ut.json", doc("zero-ut", values, ", \"user_timeout_ms\": 0")),
            d.write("off.json", doc("off", R"({"enabled": false})", ""))};
}

std::vector<std::string> as_unprivileged(std::vector<std::string> argv) {
    if (geteuid() != 0) return argv;
    std::vector<std::string> wrapped{find_on_path("setpriv"), "--reuid=nobody", "--regid=nogroup", "--clear-groups"};
    wrapped.insert(wrapped.end(), argv.begin(), argv.end());
    return wrapped;
}

}  // namespace kt::test
