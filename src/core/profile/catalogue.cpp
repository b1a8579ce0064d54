#include "core/profile/catalogue.hpp"

#include <limits>

#include "core/text/json_document.hpp"

namespace kt {

namespace {
Result<Middlebox> middlebox_from(const nlohmann::json& j, const std::string& where) {
    if (!j.is_object()) return fail(where, "expected an object");
    Middlebox m;
    auto text = [&](const char* key, std::string& out, bool required) -> Result<void> {
        auto it = j.find(key);
        if (it == j.end()) {
            if (required) return fail(json_path(where, key), "required key is missing");
            return {};
        }
        if (!it->is_string()) return fail(json_path(where, key), "expected a string");
        out = it->get<std::string>();
        return {};
    };
    if (auto r = text("id", m.id, true); !r) return std::unexpected(r.error());
    if (auto r = text("name", m.name, true); !r) return std::unexpected(r.error());
    if (auto r = text("configurable", m.configurable, true); !r) return std::unexpected(r.error());
    if (auto r = text("note", m.note, false); !r) return std::unexpected(r.error());
    auto timeout = j.find("idle_timeout_seconds");
    if (timeout == j.end() || !timeout->is_number_unsigned() ||
        timeout->get<std::uint64_t>() > std::numeric_limits<std::uint32_t>::max())
        return fail(json_path(where, "idle_timeout_seconds"), "expected a whole number of seconds");
    m.idle_timeout_seconds = timeout->get<std::uint32_t>();
    auto refreshed = j.find("refreshed_by_keepalive");
    if (refreshed == j.end() || !refreshed->is_boolean())
        return fail(json_path(where, "refreshed_by_keepalive"), "expected true or false");
    m.refreshed_by_keepalive = refreshed->get<bool>();
    return m;
}
}  // namespace

Result<std::vector<Middlebox>> parse_middlebox_catalogue(std::string_view text, std::string_view source) {
    auto doc = parse_json_document(text, source);
    if (!doc) return std::unexpected(doc.error());
    auto list = doc->find("middleboxes");
    if (!doc->is_object() || list == doc->end() || !list->is_array())
        return fail(std::string(source) + ": /middleboxes", "expected an array of middleboxes");
    std::vector<Middlebox> out;
    for (std::size_t i = 0; i < list->size(); ++i) {
        const std::string where = std::string(source) + ": /middleboxes/" + std::to_string(i);
        auto m = middlebox_from((*list)[i], where);
        if (!m) return std::unexpected(m.error());
        if (find_middlebox(out, m->id)) return fail(where + "/id", "duplicate id \"" + m->id + "\"");
        out.push_back(std::move(*m));
    }
    return out;
}

std::span<const Middlebox> middlebox_catalogue() {
    // The catalogue is compiled in and tested; an empty list here would mean a broken build.
    static const std::vector<Middlebox> catalogue = [] {
        auto parsed = parse_middlebox_catalogue(middlebox_catalogue_json(), "data/middleboxes.json");
        return parsed ? std::move(*parsed) : std::vector<Middlebox>{};
    }();
    return catalogue;
}

const Middlebox* find_middlebox(std::span<const Middlebox> catalogue, std::string_view id) {
    for (const auto& m : catalogue)
        if (m.id == id) return &m;
    return nullptr;
}

}  // namespace kt
