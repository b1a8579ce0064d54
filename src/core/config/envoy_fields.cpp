#include "core/config/envoy_fields.hpp"

#include <algorithm>
#include <utility>

#include "core/config/yaml_values.hpp"
#include "core/profile/profile.hpp"

namespace kt::envoy_fields {

namespace {

const YamlNode* either(const YamlNode& n, std::string_view snake, std::string_view camel) {
    if (const auto* v = n.get(snake)) return v;
    return n.get(camel);
}

void read_field(const YamlNode& n, std::string_view snake, std::string_view camel, std::optional<std::int64_t>& value,
                SourcePosition& at) {
    if (const auto* v = either(n, snake, camel)) {
        value = yaml_integer(*v);
        at = v->at;
    }
}


}  // namespace

TcpKeepalive read_tcp_keepalive(const YamlNode& n) {
    TcpKeepalive k;
    k.at = n.at;
    read_field(n, "keepalive_time", "keepaliveTime", k.time, k.time_at);
    read_field(n, "keepalive_interval", "keepaliveInterval", k.interval, k.interval_at);
    read_field(n, "keepalive_probes", "keepaliveProbes", k.probes, k.probes_at);
    return k;
}

std::vector<SocketOption> read_socket_options(const YamlNode& list) {
    std::vector<SocketOption> out;
    if (!list.is_sequence()) return out;
    for (const auto& item : list.items) {
        if (!item.is_mapping()) continue;
        SocketOption o;
        o.at = item.at;
        if (const auto* v = item.get("level")) o.level = yaml_integer(*v);
        if (const auto* v = item.get("name")) o.name = yaml_integer(*v);
        if (const auto* v = either(item, "int_value", "intValue")) o.int_value = yaml_integer(*v);
        o.state = "STATE_PREBIND";
        if (const auto* v = item.get("state"); v && v->is_scalar()) {
            // proto-JSON also accepts the enum's number.
            if (v->scalar == "1") o.state = "STATE_BOUND";
            else if (v->scalar == "2") o.state = "STATE_LISTENING";
            else if (v->scalar != "0") o.state = v->scalar;
        }
        out.push_back(std::move(o));
    }
    return out;
}

bool is_keepalive_option(const SocketOption& o) {
    if (!o.level || !o.name) return false;
    if (*o.level == 1) return *o.name == 9;
    return *o.level == 6 && (*o.name == 4 || *o.name == 5 || *o.name == 6 || *o.name == 18);
}

std::string zero_field(const TcpKeepalive& k, SourcePosition& at) {
    const std::pair<const std::optional<std::int64_t>*, const SourcePosition*> fields[] = {
        {&k.time, &k.time_at}, {&k.interval, &k.interval_at}, {&k.probes, &k.probes_at}};
    const char* names[] = {"keepalive_time 0", "keepalive_interval 0", "keepalive_probes 0"};
    for (std::size_t i = 0; i < 3; ++i)
        if (*fields[i].first && **fields[i].first == 0) {
            at = *fields[i].second;
            return names[i];
        }
    return {};
}

std::string millisecond_lookalike(const TcpKeepalive& k, SourcePosition& at) {
    const auto looks = [](std::optional<std::int64_t> v, std::int64_t from) {
        return v && (*v > k_keepalive_seconds_max || (*v >= from && *v % 1000 == 0));
    };
    if (looks(k.time, 10000)) {
        at = k.time_at;
        return "keepalive_time " + std::to_string(*k.time);
    }
    if (looks(k.interval, 1000)) {
        at = k.interval_at;
        return "keepalive_interval " + std::to_string(*k.interval);
    }
    return {};
}

void find_all(const YamlNode& n, std::string_view key, std::vector<const YamlNode*>& out) {
    for (std::size_t i = 0; i < n.items.size(); ++i) {
        if (n.is_mapping() && n.keys[i] == key) out.push_back(&n.items[i]);
        find_all(n.items[i], key, out);
    }
}

std::string type_url(const YamlNode& n) {
    const auto* t = n.get("@type");
    return t && t->is_scalar() ? t->scalar : std::string();
}

}  // namespace kt::envoy_fields
