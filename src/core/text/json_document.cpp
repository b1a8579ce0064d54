#include "core/text/json_document.hpp"

#include <set>
#include <string>
#include <vector>

namespace kt {

namespace {
struct Position {
    std::size_t line = 1;
    std::size_t column = 1;
};

Position position_of(std::string_view text, std::size_t byte) {
    Position p;
    for (std::size_t i = 0; i < byte && i < text.size(); ++i) {
        if (text[i] == '\n') {
            ++p.line;
            p.column = 1;
        } else {
            ++p.column;
        }
    }
    return p;
}

// nlohmann's message reads "[json.exception.parse_error.101] parse error at line 1, column 2: why";
// keep only the why.
std::string reason_of(const nlohmann::json::exception& e) {
    std::string_view m = e.what();
    if (auto colon = m.find(": "); colon != std::string_view::npos) m.remove_prefix(colon + 2);
    return std::string(m);
}
}  // namespace

Result<nlohmann::json> parse_json_document(std::string_view text, std::string_view source) {
    std::vector<std::set<std::string>> open_objects;
    std::string duplicate;
    const nlohmann::json::parser_callback_t watch_keys = [&](int, nlohmann::json::parse_event_t event,
                                                             nlohmann::json& parsed) {
        using E = nlohmann::json::parse_event_t;
        if (event == E::object_start) {
            open_objects.emplace_back();
        } else if (event == E::object_end) {
            if (!open_objects.empty()) open_objects.pop_back();
        } else if (event == E::key && !open_objects.empty() && parsed.is_string()) {
            if (!open_objects.back().insert(parsed.get<std::string>()).second && duplicate.empty())
                duplicate = parsed.get<std::string>();
        }
        return true;
    };
    try {
        auto doc = nlohmann::json::parse(text.begin(), text.end(), watch_keys);
        if (!duplicate.empty())
            return fail(std::string(source), "duplicate key \"" + duplicate + "\": keep only one of them");
        return doc;
    } catch (const nlohmann::json::out_of_range& e) {
        // A number beyond a double (1e400): nlohmann says so without a position.
        return fail(std::string(source), "not valid JSON: a number is too large (" + reason_of(e) + ")");
    } catch (const nlohmann::json::parse_error& e) {
        // e.byte is one past the offending character; point at the character itself.
        const auto p = position_of(text, e.byte > 0 ? e.byte - 1 : 0);
        return fail(std::string(source) + ":" + std::to_string(p.line) + ":" + std::to_string(p.column),
                    "not valid JSON: " + reason_of(e));
    }
}

std::string json_path(std::string_view parent, std::string_view key) {
    std::string out(parent);
    out += '/';
    for (char c : key) {
        if (c == '~')
            out += "~0";
        else if (c == '/')
            out += "~1";
        else
            out += c;
    }
    return out;
}

}  // namespace kt
