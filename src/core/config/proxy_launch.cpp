#include "core/config/proxy_launch.hpp"

namespace kt {

namespace {

std::string_view basename_of(std::string_view path) {
    const auto slash = path.rfind('/');
    return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

std::vector<std::string> split_words(std::string_view text) {
    std::vector<std::string> out;
    std::size_t pos = 0;
    while (pos < text.size()) {
        const auto start = text.find_first_not_of(' ', pos);
        if (start == std::string_view::npos) break;
        auto end = text.find(' ', start);
        if (end == std::string_view::npos) end = text.size();
        out.emplace_back(text.substr(start, end - start));
        pos = end;
    }
    return out;
}

std::string with_slash(std::string dir) {
    if (dir.empty() || dir.back() != '/') dir += '/';
    return dir;
}

// nginx's own option loop (ngx_get_options in src/core/nginx.c): single-letter flags that may be
// combined ("-tq"); -s, -p, -c, -g and -e take the rest of the word or the next word.
Result<ProxyLaunch> parse_nginx(std::vector<std::string> argv, std::string_view cwd) {
    ProxyLaunch l;
    l.kind = ProxyKind::nginx;
    if (!argv.empty()) {
        const std::string_view first = argv[0];
        // ngx_setproctitle puts "nginx: master process " and the original words joined by
        // spaces into argv[0]; a word that had spaces in it cannot be told apart any more.
        if (first.starts_with("nginx: master process ")) {
            argv = split_words(first.substr(22));
        } else if (first.starts_with("nginx: ")) {
            l.nginx_helper = true;
            return l;
        }
    }
    std::string conf, prefix;
    for (std::size_t i = 1; i < argv.size(); ++i) {
        const std::string& a = argv[i];
        if (a.size() < 2 || a[0] != '-') continue;
        for (std::size_t j = 1; j < a.size(); ++j) {
            const char f = a[j];
            if (f != 's' && f != 'p' && f != 'c' && f != 'g' && f != 'e') continue;
            std::string value = a.substr(j + 1);
            if (value.empty() && i + 1 < argv.size()) value = argv[++i];
            if (f == 'c') conf = value;
            if (f == 'p') prefix = value;
            // A split -g value ("daemon off;" became two words) runs to the word ending in ';'.
            if (f == 'g' && a.size() == 2)
                while (!value.empty() && value.back() != ';' && i + 1 < argv.size()) value = argv[++i];
            break;
        }
    }
    if (!prefix.empty()) l.prefix = with_slash(absolute_path(prefix, cwd));
    // ngx_process_options: a relative -c is taken from the prefix, not the working directory.
    const std::string base = l.prefix.empty() ? std::string(k_nginx_default_prefix) : l.prefix;
    if (conf.empty()) {
        l.default_config = true;
        l.config_paths.emplace_back(k_nginx_default_conf);
    } else {
        l.config_paths.push_back(absolute_path(conf, base));
    }
    return l;
}

// HAProxy's option loop (src/haproxy.c, init_args): -f takes the next word and repeats; words
// after "--" are configuration files too; -C DIR is where relative files are read from.
Result<ProxyLaunch> parse_haproxy(const std::vector<std::string>& argv, std::string_view cwd) {
    ProxyLaunch l;
    l.kind = ProxyKind::haproxy;
    std::vector<std::string> files;
    std::string dir;
    bool after_dashes = false;
    for (std::size_t i = 1; i < argv.size(); ++i) {
        const std::string& a = argv[i];
        if (after_dashes) {
            files.push_back(a);
            continue;
        }
        if (a == "--") {
            after_dashes = true;
        } else if ((a == "-f" || a == "-C") && i + 1 < argv.size()) {
            if (a == "-f")
                files.push_back(argv[i + 1]);
            else
                dir = argv[i + 1];
            ++i;
        } else if ((a == "-p" || a == "-x" || a == "-L" || a == "-m" || a == "-n" || a == "-N" || a == "-S") &&
                   i + 1 < argv.size()) {
            ++i;
        } else if (a == "-sf" || a == "-st") {
            while (i + 1 < argv.size() && !argv[i + 1].empty() && argv[i + 1][0] != '-') ++i;
        }
    }
    const std::string base = dir.empty() ? std::string(cwd) : absolute_path(dir, cwd);
    if (files.empty()) {
        l.default_config = true;
        l.config_paths.emplace_back(k_haproxy_default_conf);
    }
    for (const auto& f : files) l.config_paths.push_back(absolute_path(f, base));
    return l;
}

Result<ProxyLaunch> parse_envoy(const std::vector<std::string>& argv, std::string_view cwd) {
    ProxyLaunch l;
    l.kind = ProxyKind::envoy;
    bool inline_yaml = false;
    for (std::size_t i = 1; i < argv.size(); ++i) {
        const std::string& a = argv[i];
        if ((a == "-c" || a == "--config-path") && i + 1 < argv.size())
            l.config_paths.push_back(absolute_path(argv[++i], cwd));
        else if (a.starts_with("--config-path="))
            l.config_paths.push_back(absolute_path(std::string_view(a).substr(14), cwd));
        else if (a == "--config-yaml" || a.starts_with("--config-yaml="))
            inline_yaml = true;
    }
    if (l.config_paths.empty())
        return fail("envoy", inline_yaml ? "configured only inline with --config-yaml, so there is no file to audit"
                                         : "started without -c/--config-path, and Envoy has no default configuration file");
    return l;
}

}  // namespace

std::string_view proxy_kind_name(ProxyKind k) {
    switch (k) {
        case ProxyKind::nginx: return "nginx";
        case ProxyKind::haproxy: return "haproxy";
        case ProxyKind::envoy: return "envoy";
    }
    return "nginx";
}

std::optional<ProxyKind> proxy_kind_of(std::string_view comm, std::string_view exe_path) {
    for (auto k : {ProxyKind::nginx, ProxyKind::haproxy, ProxyKind::envoy})
        if (comm == proxy_kind_name(k) || basename_of(exe_path) == proxy_kind_name(k)) return k;
    return std::nullopt;
}

std::string absolute_path(std::string_view path, std::string_view base) {
    std::string joined = path.starts_with('/') ? std::string(path) : std::string(base) + "/" + std::string(path);
    std::vector<std::string_view> parts;
    std::string_view rest = joined;
    while (!rest.empty()) {
        const auto slash = rest.find('/');
        const auto part = rest.substr(0, slash);
        rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
        if (part.empty() || part == ".") continue;
        if (part == "..") {
            if (!parts.empty()) parts.pop_back();
            continue;
        }
        parts.push_back(part);
    }
    std::string out;
    for (const auto& p : parts) out += "/" + std::string(p);
    return out.empty() ? "/" : out;
}

Result<ProxyLaunch> parse_proxy_launch(ProxyKind kind, const std::vector<std::string>& argv, std::string_view cwd) {
    switch (kind) {
        case ProxyKind::nginx: return parse_nginx(argv, cwd);
        case ProxyKind::haproxy: return parse_haproxy(argv, cwd);
        case ProxyKind::envoy: return parse_envoy(argv, cwd);
    }
    return fail("proxy", "unknown kind");
}

}  // namespace kt
