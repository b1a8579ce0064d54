#include "core/profile/network_path.hpp"

#include <array>

#include "core/text/duration.hpp"
#include "core/text/json_document.hpp"
#include "core/text/nearest.hpp"
#include "core/text/word_list.hpp"

namespace kt {

namespace {
// One entry of a path: a catalogue id or NAME=DURATION.
Result<PathHop> parse_hop(std::string_view word, std::span<const Middlebox> catalogue) {
    if (const auto eq = word.find('='); eq != std::string_view::npos) {
        const auto name = word.substr(0, eq);
        if (name.empty()) return fail(std::string(word), "an ad-hoc entry needs a name: NAME=DURATION (corp-fw=1800s)");
        auto ms = parse_duration_ms(word.substr(eq + 1));
        if (!ms) return fail(std::string(word), ms.error().why);
        if (*ms == 0) return fail(std::string(word), "an idle timeout of 0 forgets every connection; give a duration above 0");
        return PathHop{std::string(name), *ms, true};
    }
    if (const auto* m = find_middlebox(catalogue, word))
        return PathHop{m->id, std::uint64_t{m->idle_timeout_seconds} * 1000, m->refreshed_by_keepalive};
    std::vector<std::string> known;
    for (const auto& m : catalogue) known.push_back(m.id);
    return fail(std::string(word), "unknown middlebox" + did_you_mean(word, known) +
                                       "; `keepalive-tune profile middleboxes` lists them, or give NAME=DURATION");
}
}  // namespace

std::expected<NetworkPath, Errors> parse_path_list(std::string_view list, std::string_view flag,
                                                   std::span<const Middlebox> catalogue) {
    NetworkPath path;
    Errors problems;
    for (const auto word : split_words(list)) {
        auto hop = parse_hop(word, catalogue);
        if (hop)
            path.push_back(std::move(*hop));
        else
            problems.push_back({std::string(flag) + " " + hop.error().what, hop.error().why});
    }
    if (!problems.empty()) return std::unexpected(problems);
    if (path.empty()) return std::unexpected(Errors{{std::string(flag), "give at least one middlebox id or NAME=DURATION"}});
    return path;
}

NetworkPath path_of_ids(std::span<const std::string> ids, std::span<const Middlebox> catalogue) {
    NetworkPath path;
    for (const auto& id : ids)
        if (auto hop = parse_hop(id, catalogue)) path.push_back(std::move(*hop));
    return path;
}

std::expected<std::vector<PathRule>, Errors> parse_paths_file(std::string_view text, std::string_view source,
                                                              std::span<const Middlebox> catalogue) {
    auto doc = parse_json_document(text, source);
    if (!doc) return std::unexpected(Errors{doc.error()});
    const std::string src(source);
    Errors problems;
    auto problem = [&](const std::string& path, std::string why) { problems.push_back({src + ": " + path, std::move(why)}); };
    static constexpr std::array<std::string_view, 1> k_top = {"paths"};
    static constexpr std::array<std::string_view, 2> k_rule = {"cidr", "path"};
    if (!doc->is_object() || !doc->contains("paths") || !(*doc)["paths"].is_array()) {
        problem("/paths", "expected {\"paths\": [{\"cidr\": \"10.0.0.0/8\", \"path\": [\"aws-nlb-tcp\"]}, ...]}");
        return std::unexpected(problems);
    }
    for (const auto& [key, value] : doc->items())
        if (key != "paths") problem(json_path("", key), "unknown key" + did_you_mean(key, k_top));
    std::vector<PathRule> rules;
    const auto& list = (*doc)["paths"];
    for (std::size_t i = 0; i < list.size(); ++i) {
        const std::string at = "/paths/" + std::to_string(i);
        const auto& r = list[i];
        if (!r.is_object()) {
            problem(at, "expected an object with cidr and path");
            continue;
        }
        for (const auto& [key, value] : r.items())
            if (key != "cidr" && key != "path") problem(json_path(at, key), "unknown key" + did_you_mean(key, k_rule));
        PathRule rule;
        bool ok = true;
        if (!r.contains("cidr") || !r["cidr"].is_string()) {
            problem(at + "/cidr", "expected an address or CIDR string");
            ok = false;
        } else if (auto c = parse_cidr(r["cidr"].get<std::string>(), "cidr")) {
            rule.peers = *c;
        } else {
            problem(at + "/cidr", c.error().why);
            ok = false;
        }
        if (!r.contains("path") || !r["path"].is_array() || r["path"].empty()) {
            problem(at + "/path", "expected a non-empty array of middlebox ids or NAME=DURATION");
            ok = false;
        } else {
            for (std::size_t j = 0; j < r["path"].size(); ++j) {
                const auto& hop = r["path"][j];
                const std::string hop_at = at + "/path/" + std::to_string(j);
                if (!hop.is_string()) {
                    problem(hop_at, "expected a middlebox id or NAME=DURATION, got " + hop.dump());
                    ok = false;
                    continue;
                }
                auto h = parse_hop(hop.get<std::string>(), catalogue);
                if (!h) {
                    problem(hop_at, h.error().what + ": " + h.error().why);
                    ok = false;
                    continue;
                }
                rule.path.push_back(std::move(*h));
            }
        }
        if (ok) rules.push_back(std::move(rule));
    }
    if (!problems.empty()) return std::unexpected(problems);
    return rules;
}

const PathRule* match_path(std::span<const PathRule> rules, const IpAddress& peer) {
    const PathRule* best = nullptr;
    for (const auto& r : rules)
        if (r.peers.contains(peer) && (!best || r.peers.prefix_len > best->peers.prefix_len)) best = &r;
    return best;
}

}  // namespace kt
