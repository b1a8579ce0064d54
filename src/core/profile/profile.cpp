#include "core/profile/profile.hpp"

#include <array>
#include <cmath>
#include <limits>

#include "core/text/json_document.hpp"
#include "core/text/nearest.hpp"

namespace kt {

namespace {
constexpr std::array<std::string_view, 6> k_top_keys = {"name", "summary", "description", "keepalive",
                                                        "user_timeout_ms", "path"};
constexpr std::array<std::string_view, 4> k_keepalive_keys = {"enabled", "idle_seconds", "interval_seconds",
                                                              "count"};

// Collects problems instead of stopping at the first, so `profile validate` can list them all.
class ProfileReader {
public:
    ProfileReader(std::string_view source, std::span<const Middlebox> catalogue)
        : m_source(source), m_catalogue(catalogue) {}

    Errors& errors() { return m_errors; }

    void problem(std::string_view path, std::string why) {
        m_errors.push_back(Error{m_source + ": " + std::string(path.empty() ? "/" : path), std::move(why)});
    }

    void reject_unknown_keys(const nlohmann::json& object, std::string_view path,
                             std::span<const std::string_view> known) {
        for (const auto& [key, value] : object.items()) {
            bool ok = false;
            for (auto k : known) ok = ok || k == key;
            if (!ok) problem(json_path(path, key), "unknown key" + did_you_mean(key, known));
        }
    }

    const nlohmann::json* member(const nlohmann::json& object, std::string_view path, const char* key,
                                 bool required) {
        auto it = object.find(key);
        if (it != object.end()) return &*it;
        if (required) problem(json_path(path, key), "required key is missing");
        return nullptr;
    }

    std::string text(const nlohmann::json& object, std::string_view path, const char* key, bool one_line) {
        const auto* v = member(object, path, key, true);
        if (!v) return {};
        if (!v->is_string() || v->get<std::string>().empty()) {
            problem(json_path(path, key), "expected a non-empty string, got " + describe(*v));
            return {};
        }
        auto s = v->get<std::string>();
        if (one_line && s.find('\n') != std::string::npos) problem(json_path(path, key), "must be one line");
        return s;
    }

    std::optional<std::uint32_t> integer(const nlohmann::json& object, std::string_view path, const char* key,
                                         std::uint32_t lo, std::uint32_t hi, bool required) {
        const auto* v = member(object, path, key, required);
        if (!v) return std::nullopt;
        const std::string range = std::to_string(lo) + ".." + std::to_string(hi);
        // 1e1 and 10.0 are the integer 10 in JSON's number model; 1.5 is not an integer.
        const bool whole_float = v->is_number_float() && std::isfinite(v->get<double>()) &&
                                 std::floor(v->get<double>()) == v->get<double>();
        if (!v->is_number_integer() && !whole_float) {
            problem(json_path(path, key), "expected an integer in " + range + ", got " + describe(*v));
            return std::nullopt;
        }
        // A negative number is out of range too, and says so with its value.
        const double value = v->is_number_unsigned() ? static_cast<double>(v->get<std::uint64_t>())
                             : v->is_number_integer() ? static_cast<double>(v->get<std::int64_t>())
                                                      : v->get<double>();
        if (value < lo || value > hi) {
            problem(json_path(path, key), v->dump() + " is out of range " + range);
            return std::nullopt;
        }
        return static_cast<std::uint32_t>(value);
    }

    static std::string describe(const nlohmann::json& v) {
        std::string dumped = v.dump();
        if (dumped.size() > 40) dumped = dumped.substr(0, 37) + "...";
        return std::string(v.type_name()) + " " + dumped;
    }

    std::span<const Middlebox> catalogue() const { return m_catalogue; }

private:
    std::string m_source;
    std::span<const Middlebox> m_catalogue;
    Errors m_errors;
};

bool valid_name(std::string_view name) {
    if (name.empty() || name.size() > 64) return false;
    for (char c : name) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
        if (!ok) return false;
    }
    return name.front() != '.' && name.front() != '-';
}

void read_keepalive(ProfileReader& r, const nlohmann::json& doc, Profile& p) {
    const auto* ka = r.member(doc, "", "keepalive", true);
    if (!ka) return;
    if (!ka->is_object()) {
        r.problem("/keepalive", "expected an object with " +
                                    std::string("enabled, idle_seconds, interval_seconds and count"));
        return;
    }
    r.reject_unknown_keys(*ka, "/keepalive", k_keepalive_keys);
    if (const auto* en = r.member(*ka, "/keepalive", "enabled", true)) {
        if (en->is_boolean())
            p.keepalive.enabled = en->get<bool>();
        else
            r.problem("/keepalive/enabled", "expected true or false, got " + ProfileReader::describe(*en));
    }
    // A profile that turns keepalive off needs no values; given anyway, they are checked.
    const bool required = p.keepalive.enabled || !ka->contains("enabled") || !(*ka)["enabled"].is_boolean();
    auto seconds = [&](const char* key, std::uint32_t& out) {
        if (auto v = r.integer(*ka, "/keepalive", key, k_keepalive_seconds_min, k_keepalive_seconds_max, required))
            out = *v;
    };
    seconds("idle_seconds", p.keepalive.idle_seconds);
    seconds("interval_seconds", p.keepalive.interval_seconds);
    if (auto v = r.integer(*ka, "/keepalive", "count", k_keepalive_count_min, k_keepalive_count_max, required))
        p.keepalive.count = *v;
}

void read_path(ProfileReader& r, const nlohmann::json& doc, Profile& p) {
    const auto* path = r.member(doc, "", "path", false);
    if (!path) return;
    if (!path->is_array()) {
        r.problem("/path", "expected an array of middlebox ids, got " + ProfileReader::describe(*path));
        return;
    }
    std::vector<std::string> ids;
    for (const auto& m : r.catalogue()) ids.push_back(m.id);
    for (std::size_t i = 0; i < path->size(); ++i) {
        const auto& v = (*path)[i];
        const std::string where = "/path/" + std::to_string(i);
        if (!v.is_string()) {
            r.problem(where, "expected a middlebox id, got " + ProfileReader::describe(v));
            continue;
        }
        auto id = v.get<std::string>();
        if (!find_middlebox(r.catalogue(), id)) {
            r.problem(where, "unknown middlebox \"" + id + "\"" + did_you_mean(id, ids) +
                                 "; `keepalive-tune profile middleboxes` lists them");
            continue;
        }
        p.path.push_back(std::move(id));
    }
}
}  // namespace

std::expected<Profile, Errors> parse_profile(std::string_view text, std::string_view source,
                                             std::span<const Middlebox> catalogue) {
    auto doc = parse_json_document(text, source);
    if (!doc) return std::unexpected(Errors{doc.error()});
    ProfileReader r(source, catalogue);
    if (!doc->is_object()) {
        r.problem("", "expected a JSON object, got " + ProfileReader::describe(*doc));
        return std::unexpected(std::move(r.errors()));
    }
    Profile p;
    p.source = std::string(source);
    r.reject_unknown_keys(*doc, "", k_top_keys);
    p.name = r.text(*doc, "", "name", true);
    if (!p.name.empty() && !valid_name(p.name))
        r.problem("/name", "\"" + p.name + "\" is not a valid name: use lower-case letters, digits, '-', '_', '.'");
    p.summary = r.text(*doc, "", "summary", true);
    p.description = r.text(*doc, "", "description", false);
    read_keepalive(r, *doc, p);
    p.user_timeout_ms = r.integer(*doc, "", "user_timeout_ms", 0, k_user_timeout_ms_max, false);
    read_path(r, *doc, p);
    if (!r.errors().empty()) return std::unexpected(std::move(r.errors()));
    return p;
}

std::string profile_file_name(std::string_view name) { return std::string(name) + ".json"; }

bool looks_like_profile_path(std::string_view arg) {
    return arg.find('/') != std::string_view::npos || arg.ends_with(".json");
}

}  // namespace kt
