#include "core/config/haproxy_config.hpp"

#include <array>
#include <cstdint>

namespace kt {

namespace {

// Keywords that open a section (cfgparse.c registers these with cfg_register_section).
constexpr std::array<std::string_view, 16> k_section_keywords = {
    "global",  "defaults",   "frontend", "backend", "listen", "peers",      "resolvers",   "userlist",
    "program", "http-errors", "ring",    "mailers", "cache",  "crt-store", "traces",      "log-forward"};

bool is_section_keyword(std::string_view w) {
    for (auto k : k_section_keywords)
        if (w == k) return true;
    return false;
}

bool is_blank(char c) {
    return c == ' ' || c == '\t' || c == '\r';
}

struct Word {
    std::string text;
    std::uint32_t column = 0;
};

// One line's words. Outside quotes a backslash escapes the next character; in double quotes
// too; single quotes keep everything as written. `#` outside quotes ends the line.
Result<std::vector<Word>> split_line(std::string_view line, std::string_view file, std::uint32_t line_no) {
    std::vector<Word> words;
    std::size_t i = 0;
    auto at = [&](std::size_t col) {
        return SourcePosition{std::string(file), line_no, static_cast<std::uint32_t>(col + 1)}.file_line_column();
    };
    while (i < line.size()) {
        while (i < line.size() && is_blank(line[i])) ++i;
        if (i >= line.size() || line[i] == '#') break;
        Word w;
        w.column = static_cast<std::uint32_t>(i + 1);
        char quote = 0;
        std::size_t quote_start = 0;
        while (i < line.size()) {
            const char c = line[i];
            if (quote == 0 && (is_blank(c) || c == '#')) break;
            if (c == '\\' && quote != '\'' && i + 1 < line.size()) {
                w.text += line[i + 1];
                i += 2;
                continue;
            }
            if (quote == 0 && (c == '"' || c == '\'')) {
                quote = c;
                quote_start = i;
                ++i;
                continue;
            }
            if (quote != 0 && c == quote) {
                quote = 0;
                ++i;
                continue;
            }
            w.text += c;
            ++i;
        }
        if (quote != 0) return fail(at(quote_start), std::string("unmatched quote (") + quote + ")");
        words.push_back(std::move(w));
    }
    return words;
}

}  // namespace

Result<HaproxyConfig> parse_haproxy_config(std::string_view text, std::string_view file) {
    HaproxyConfig config;
    std::uint32_t line_no = 0;
    std::uint32_t open_blocks = 0;
    std::size_t pos = 0;
    while (pos <= text.size()) {
        const auto eol = text.find('\n', pos);
        const auto line = text.substr(pos, eol == std::string_view::npos ? std::string_view::npos : eol - pos);
        ++line_no;
        pos = eol == std::string_view::npos ? text.size() + 1 : eol + 1;
        auto words = split_line(line, file, line_no);
        if (!words) return std::unexpected(words.error());
        if (words->empty()) continue;
        const SourcePosition at{std::string(file), line_no, (*words)[0].column};
        const auto& first = (*words)[0].text;
        // Conditional blocks and messages (HAProxy 2.4): the directives themselves hold no setting.
        if (first.starts_with('.')) {
            if (first == ".if" || first == ".elif") config.conditionals.push_back(at);
            if (first == ".if") ++open_blocks;
            if (first == ".endif") {
                if (open_blocks == 0) return fail(at.file_line_column(), "'.endif' without '.if'");
                --open_blocks;
            }
            if (first != ".if" && first != ".elif" && first != ".else" && first != ".endif" && first != ".diag" &&
                first != ".notice" && first != ".warning" && first != ".alert")
                return fail(at.file_line_column(), "unknown directive '" + first + "'");
            if ((first == ".elif" || first == ".else") && open_blocks == 0)
                return fail(at.file_line_column(), "'" + first + "' without '.if'");
            continue;
        }
        if (is_section_keyword(first)) {
            HaproxySection s;
            s.kind = first;
            s.at = at;
            std::size_t i = 1;
            if (first != "global" && i < words->size() && (*words)[i].text != "from") s.name = (*words)[i++].text;
            if (i < words->size() && (*words)[i].text == "from") {
                if (i + 1 >= words->size())
                    return fail(at.file_line_column(), "'from' needs the name of a defaults section");
                s.from = (*words)[i + 1].text;
            }
            if ((first == "frontend" || first == "backend" || first == "listen") && s.name.empty())
                return fail(at.file_line_column(), "'" + first + "' needs a name");
            config.sections.push_back(std::move(s));
            continue;
        }
        if (config.sections.empty())
            return fail(at.file_line_column(), "unknown keyword '" + first + "' out of section");
        HaproxyLine l;
        l.at = at;
        for (auto& w : *words) l.words.push_back(std::move(w.text));
        config.sections.back().lines.push_back(std::move(l));
    }
    if (open_blocks > 0) return fail(std::string(file), "'.if' without '.endif' at the end of the file");
    return config;
}

}  // namespace kt
