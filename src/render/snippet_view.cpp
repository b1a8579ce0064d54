#include "render/snippet_view.hpp"

#include "render/profile_view.hpp"
#include "render/table.hpp"

namespace kt::render {

namespace {
nlohmann::json optional_json(const std::optional<std::uint32_t>& v) {
    return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

nlohmann::json caveats_json(const std::vector<Caveat>& caveats) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& c : caveats) list.push_back({{"kind", caveat_kind_name(c.kind)}, {"text", c.text}});
    return list;
}

nlohmann::json effective_json(const EffectiveValues& v) {
    return {{"side", side_name(v.side)},
            {"keepalive", v.keepalive ? nlohmann::json(*v.keepalive) : nlohmann::json(nullptr)},
            {"idle_seconds", optional_json(v.idle_seconds)},
            {"interval_seconds", optional_json(v.interval_seconds)},
            {"count", optional_json(v.count)},
            {"user_timeout_ms", optional_json(v.user_timeout_ms)}};
}

std::string sides_text(const RenderTarget& t) {
    if (t.downstream && t.upstream) return "both";
    return t.downstream ? "downstream" : "upstream";
}
}  // namespace

std::string rendering_text(const Profile& p, std::string_view target, const Rendering& r) {
    std::string out;
    for (const auto& s : r.snippets) {
        if (!out.empty()) out += "\n";
        out += snippet_text(p, target, s);
    }
    return out;
}

nlohmann::json rendering_json(const Profile& p, std::string_view target, const RenderOptions& o, const Rendering& r) {
    nlohmann::json snippets = nlohmann::json::array();
    for (const auto& s : r.snippets)
        snippets.push_back({{"title", s.title},
                            {"where", s.where},
                            {"syntax", s.syntax},
                            {"text", snippet_text(p, target, s)},
                            {"body", s.body},
                            {"caveats", caveats_json(s.caveats)}});
    nlohmann::json effective = nlohmann::json::array();
    for (const auto& v : r.effective) effective.push_back(effective_json(v));
    return {{"schema", "keepalive-tune.render.v1"},
            {"profile",
             {{"name", p.name},
              {"source", p.source},
              {"keepalive", keepalive_json(p.keepalive)},
              {"user_timeout_ms", optional_json(p.user_timeout_ms)}}},
            {"target", target},
            {"side", side_name(o.side)},
            {"envoy_version", o.envoy_version ? nlohmann::json(std::to_string(o.envoy_version->major) + "." +
                                                               std::to_string(o.envoy_version->minor))
                                              : nlohmann::json(nullptr)},
            {"snippets", snippets},
            {"caveats", caveats_json(all_caveats(r))},
            {"effective", effective}};
}

std::string render_targets_text() {
    Table t({"TARGET", "SIDES", "RENDERS"});
    for (const auto& target : render_targets())
        t.add({std::string(target.name), sides_text(target), std::string(target.summary)});
    return t.str();
}

nlohmann::json render_targets_json() {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& t : render_targets()) {
        nlohmann::json sides = nlohmann::json::array();
        if (t.downstream) sides.push_back("downstream");
        if (t.upstream) sides.push_back("upstream");
        list.push_back({{"name", t.name}, {"sides", sides}, {"summary", t.summary}});
    }
    return {{"schema", "keepalive-tune.render-targets.v1"}, {"targets", list}};
}

}  // namespace kt::render
