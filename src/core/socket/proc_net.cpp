#include "core/socket/proc_net.hpp"

#include <charconv>
#include <vector>

namespace kt {

namespace {
std::vector<std::string_view> fields(std::string_view line) {
    std::vector<std::string_view> out;
    std::size_t i = 0;
    while (i < line.size()) {
        while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
        const std::size_t start = i;
        while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
        if (i > start) out.push_back(line.substr(start, i - start));
    }
    return out;
}

std::vector<std::string_view> lines(std::string_view text) {
    std::vector<std::string_view> out;
    std::size_t start = 0;
    while (start < text.size()) {
        auto end = text.find('\n', start);
        if (end == std::string_view::npos) end = text.size();
        out.push_back(text.substr(start, end - start));
        start = end + 1;
    }
    return out;
}

template <class T>
std::optional<T> number(std::string_view s) {
    T v{};
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
    return v;
}
}  // namespace

std::optional<std::uint64_t> sockstat_time_wait(std::string_view sockstat) {
    for (auto line : lines(sockstat)) {
        if (!line.starts_with("TCP:")) continue;
        const auto f = fields(line);
        for (std::size_t i = 1; i + 1 < f.size(); i += 2)
            if (f[i] == "tw") return number<std::uint64_t>(f[i + 1]);
    }
    return std::nullopt;
}

std::map<std::string, std::uint64_t, std::less<>> tcp_ext_counters(std::string_view netstat) {
    std::map<std::string, std::uint64_t, std::less<>> out;
    const auto all = lines(netstat);
    for (std::size_t i = 0; i + 1 < all.size(); ++i) {
        if (!all[i].starts_with("TcpExt:") || !all[i + 1].starts_with("TcpExt:")) continue;
        const auto names = fields(all[i]);
        const auto values = fields(all[i + 1]);
        for (std::size_t k = 1; k < names.size() && k < values.size(); ++k)
            if (auto v = number<std::uint64_t>(values[k])) out.emplace(std::string(names[k]), *v);
        break;
    }
    return out;
}

std::optional<PortRange> local_port_range(std::string_view text) {
    const auto f = fields(lines(text).empty() ? text : lines(text).front());
    if (f.size() != 2) return std::nullopt;
    auto lo = number<std::uint16_t>(f[0]);
    auto hi = number<std::uint16_t>(f[1]);
    if (!lo || !hi || *lo > *hi) return std::nullopt;
    return PortRange{*lo, *hi};
}

std::optional<std::int64_t> sysctl_integer(std::string_view text) {
    const auto f = fields(lines(text).empty() ? text : lines(text).front());
    if (f.size() != 1) return std::nullopt;
    return number<std::int64_t>(f[0]);
}

}  // namespace kt
