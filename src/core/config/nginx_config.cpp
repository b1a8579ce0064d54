#include "core/config/nginx_config.hpp"

#include <cstdint>
#include <optional>

namespace kt {

namespace {

// Common directives that never take a block, so that `NAME ... {` is the missing ";" nginx
// refuses (ngx_conf_handler). Directives not listed (modules' own, *_by_lua_block) are left
// to nginx.
bool takes_no_block(std::string_view name) {
    static constexpr std::string_view k_plain[] = {
        "listen", "server_name", "root", "alias", "index", "return", "rewrite", "try_files", "proxy_pass",
        "proxy_http_version", "proxy_set_header", "proxy_timeout", "proxy_connect_timeout", "proxy_read_timeout",
        "proxy_send_timeout", "proxy_socket_keepalive", "keepalive", "keepalive_timeout", "keepalive_requests",
        "keepalive_time", "send_timeout", "client_max_body_size", "access_log", "error_log", "add_header",
        "ssl_certificate", "ssl_certificate_key", "worker_processes", "worker_connections", "resolver",
        "grpc_pass", "fastcgi_pass", "uwsgi_pass", "default_type", "sendfile", "tcp_nodelay"};
    for (auto n : k_plain)
        if (n == name) return true;
    return false;
}

enum class TokenKind { word, semicolon, open_block, close_block, end };

struct Token {
    TokenKind kind = TokenKind::end;
    std::string text;
    SourcePosition at;
};

// nginx unescapes \" \' \\ \t \r \n in every word and keeps any other backslash as written.
std::string unescape(std::string_view raw) {
    std::string out;
    out.reserve(raw.size());
    for (std::size_t i = 0; i < raw.size(); ++i) {
        if (raw[i] == '\\' && i + 1 < raw.size()) {
            const char n = raw[i + 1];
            if (n == '"' || n == '\'' || n == '\\') {
                out += n;
                ++i;
                continue;
            }
            if (n == 't' || n == 'r' || n == 'n') {
                out += n == 't' ? '\t' : n == 'r' ? '\r' : '\n';
                ++i;
                continue;
            }
        }
        out += raw[i];
    }
    return out;
}

bool is_blank(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

class Tokenizer {
public:
    Tokenizer(std::string_view text, std::string_view file) : m_text(text), m_file(file) {}

    Result<Token> next() {
        skip_blanks_and_comments();
        if (m_at >= m_text.size()) return Token{TokenKind::end, {}, here()};
        const auto start = here();
        const char c = m_text[m_at];
        if (m_need_space && c == ')') {
            // `if ($x = "a")`: nginx drops the ')' after a quoted word.
            advance();
            m_need_space = false;
            return next();
        }
        if (m_need_space) {
            // After a closing quote nginx wants a blank, ';', '{' or ')' (ngx_conf_read_token).
            if (c != ';' && c != '{' && c != ')' && c != '}')
                return error(start, "unexpected \"" + std::string(1, c) + "\"");
            if (c == '}') return error(start, "unexpected \"}\"");
        }
        m_need_space = false;
        if (c == ';') return single(TokenKind::semicolon, start);
        if (c == '{') return single(TokenKind::open_block, start);
        if (c == '}') return single(TokenKind::close_block, start);
        if (c == '"' || c == '\'') return quoted(c, start);
        return word(start);
    }

private:
    SourcePosition here() const { return {std::string(m_file), m_line, m_column}; }

    static std::unexpected<Error> error(const SourcePosition& at, std::string why) {
        return fail(at.file_line_column(), std::move(why));
    }

    void advance() {
        if (m_text[m_at] == '\n') {
            ++m_line;
            m_column = 1;
        } else {
            ++m_column;
        }
        ++m_at;
    }

    void skip_blanks_and_comments() {
        while (m_at < m_text.size()) {
            const char c = m_text[m_at];
            if (is_blank(c)) {
                m_need_space = false;
                advance();
            } else if (c == '#' && !m_need_space) {
                while (m_at < m_text.size() && m_text[m_at] != '\n') advance();
            } else {
                return;
            }
        }
    }

    Token single(TokenKind kind, const SourcePosition& at) {
        advance();
        return Token{kind, {}, at};
    }

    Result<Token> quoted(char quote, const SourcePosition& at) {
        advance();
        const auto begin = m_at;
        while (m_at < m_text.size()) {
            const char c = m_text[m_at];
            if (c == '\\' && m_at + 1 < m_text.size()) {
                advance();
                advance();
                continue;
            }
            if (c == quote) {
                const auto raw = m_text.substr(begin, m_at - begin);
                advance();
                m_need_space = true;
                return Token{TokenKind::word, unescape(raw), at};
            }
            advance();
        }
        return error(here(), "unexpected end of file, expecting \";\" or \"}\"");
    }

    // A word ends at a blank, ';' or '{' ('}' and '#' inside a word are part of it, as in nginx);
    // '{' right after '$' opens a variable name instead.
    Result<Token> word(const SourcePosition& at) {
        const auto begin = m_at;
        bool after_dollar = false;
        while (m_at < m_text.size()) {
            const char c = m_text[m_at];
            if (c == '{' && after_dollar) {
                after_dollar = false;
                advance();
                continue;
            }
            after_dollar = false;
            if (c == '\\' && m_at + 1 < m_text.size()) {
                advance();
                advance();
                continue;
            }
            if (c == '$') {
                after_dollar = true;
                advance();
                continue;
            }
            if (is_blank(c) || c == ';' || c == '{') break;
            advance();
        }
        return Token{TokenKind::word, unescape(m_text.substr(begin, m_at - begin)), at};
    }

    std::string_view m_text;
    std::string_view m_file;
    std::size_t m_at = 0;
    std::uint32_t m_line = 1;
    std::uint32_t m_column = 1;
    bool m_need_space = false;
};

constexpr int k_max_include_depth = 32;

struct Parser {
    const IncludeResolver* resolve = nullptr;
    std::vector<std::string>* files = nullptr;
    std::vector<NginxHostInclude>* host_includes = nullptr;

    // Directives up to the end of the file (depth 0) or the '}' closing the block at `depth` > 0.
    Result<std::vector<NginxDirective>> block(Tokenizer& t, int depth, int include_depth,
                                              const SourcePosition* opened_at) {
        std::vector<NginxDirective> out;
        for (;;) {
            auto tok = t.next();
            if (!tok) return std::unexpected(tok.error());
            if (tok->kind == TokenKind::end) {
                if (depth > 0)
                    return fail(tok->at.file_line_column(), "unexpected end of file, expecting \"}\" (block opened at " +
                                                                std::to_string(opened_at->line) + ":" +
                                                                std::to_string(opened_at->column) + ")");
                return out;
            }
            if (tok->kind == TokenKind::close_block) {
                if (depth == 0) return fail(tok->at.file_line_column(), "unexpected \"}\"");
                return out;
            }
            if (tok->kind == TokenKind::semicolon) return fail(tok->at.file_line_column(), "unexpected \";\"");
            if (tok->kind == TokenKind::open_block) return fail(tok->at.file_line_column(), "unexpected \"{\"");

            NginxDirective d;
            d.name = std::move(tok->text);
            d.at = std::move(tok->at);
            for (;;) {
                auto arg = t.next();
                if (!arg) return std::unexpected(arg.error());
                if (arg->kind == TokenKind::word) {
                    d.args.push_back(std::move(arg->text));
                    continue;
                }
                if (arg->kind == TokenKind::semicolon) break;
                if (arg->kind == TokenKind::open_block) {
                    // A directive that takes no block, its ";" missing before the next block
                    // (`listen 8080` then `location / {`): nginx -t refuses it here.
                    if (takes_no_block(d.name))
                        return fail(arg->at.file_line_column(),
                                    "directive \"" + d.name + "\" is not terminated by \";\"");
                    d.has_block = true;
                    auto inner = block(t, depth + 1, include_depth, &d.at);
                    if (!inner) return std::unexpected(inner.error());
                    d.block = std::move(*inner);
                    break;
                }
                if (arg->kind == TokenKind::close_block)
                    return fail(arg->at.file_line_column(), "unexpected \"}\"");
                return fail(arg->at.file_line_column(), "unexpected end of file, expecting \";\" or \"}\"");
            }
            if (d.name == "include" && !d.has_block) {
                auto included = include(d, include_depth);
                if (!included) return std::unexpected(included.error());
                for (auto& x : *included) out.push_back(std::move(x));
                continue;
            }
            out.push_back(std::move(d));
        }
    }

    Result<std::vector<NginxDirective>> include(const NginxDirective& d, int include_depth) {
        const auto where = d.at.file_line_column();
        if (d.args.size() != 1) return fail(where, "invalid number of arguments in \"include\" directive");
        if (resolve == nullptr || !*resolve) return fail(where, "include is not followed here");
        if (include_depth >= k_max_include_depth)
            return fail(where, "includes nested deeper than " + std::to_string(k_max_include_depth) +
                                   " (a file including itself?)");
        auto found = (*resolve)(d.args[0], d.at.file);
        if (!found) return fail(where, found.error().line());
        std::vector<NginxDirective> out;
        for (const auto& f : *found) {
            if (files) files->push_back(f.path);
            if (host_includes && f.from_this_host) host_includes->push_back({f.path, d.at});
            Tokenizer inner(f.text, f.path);
            auto parsed = block(inner, 0, include_depth + 1, nullptr);
            if (!parsed) return std::unexpected(parsed.error());
            for (auto& x : *parsed) out.push_back(std::move(x));
        }
        return out;
    }
};

}  // namespace

Result<NginxConfig> parse_nginx_config(std::string_view text, std::string_view file, const IncludeResolver& resolve) {
    NginxConfig config;
    config.files.emplace_back(file);
    Parser p{&resolve, &config.files, &config.host_includes};
    Tokenizer t(text, file);
    auto top = p.block(t, 0, 0, nullptr);
    if (!top) return std::unexpected(top.error());
    config.top = std::move(*top);
    return config;
}

Result<std::vector<NginxDirective>> parse_nginx_text(std::string_view text, std::string_view file) {
    Parser p;
    Tokenizer t(text, file);
    return p.block(t, 0, 0, nullptr);
}

}  // namespace kt
