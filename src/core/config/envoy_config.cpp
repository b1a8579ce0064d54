#include "core/config/envoy_config.hpp"

namespace kt {

namespace {

std::string type_of(const YamlNode& n) {
    const auto* t = n.get("@type");
    return t && t->is_scalar() ? t->scalar : std::string();
}

void add_each(const YamlNode* list, std::vector<const YamlNode*>& out) {
    if (!list || !list->is_sequence()) return;
    for (const auto& item : list->items)
        if (item.is_mapping()) out.push_back(&item);
}

// A list of wrappers ({listener: ...} or {active_state: {listener: ...}}): the inner resource.
void add_wrapped(const YamlNode* list, std::initializer_list<std::string_view> path, std::vector<const YamlNode*>& out) {
    if (!list || !list->is_sequence()) return;
    for (const auto& item : list->items)
        if (const auto* inner = item.path(path); inner && inner->is_mapping()) out.push_back(inner);
}

// A proto3 JSON field name ("socketOptions", "keepaliveTime"): lowercase first, letters and
// digits, some uppercase. Keys with dots or underscores (extension names, "@type") are left.
bool proto3_json_name(std::string_view key) {
    if (key.empty() || key[0] < 'a' || key[0] > 'z') return false;
    bool upper = false;
    for (char ch : key) {
        if (ch >= 'A' && ch <= 'Z')
            upper = true;
        else if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9')))
            return false;
    }
    return upper;
}

// Envoy reads proto3 JSON names and the protos' own names alike, and Envoy Gateway and
// xDS dumps write the former: every key is read as the latter.
void to_proto_names(YamlNode& n) {
    if (n.is_mapping())
        for (auto& key : n.keys) {
            if (!proto3_json_name(key)) continue;
            std::string snake;
            for (char ch : key) {
                if (ch >= 'A' && ch <= 'Z') {
                    snake += '_';
                    snake += static_cast<char>(ch - 'A' + 'a');
                } else {
                    snake += ch;
                }
            }
            key = std::move(snake);
        }
    for (auto& item : n.items) to_proto_names(item);
}

void collect(const YamlNode& doc, EnvoyConfig& c) {
    // A list of listeners or clusters, as Envoy Gateway and xDS tools print them.
    if (doc.is_sequence()) {
        for (const auto& item : doc.items)
            if (item.is_mapping()) collect(item, c);
        return;
    }
    if (!doc.is_mapping()) return;
    if (const auto* s = doc.get("static_resources")) {
        add_each(s->get("listeners"), c.listeners);
        add_each(s->get("clusters"), c.clusters);
    }
    add_each(doc.get("listeners"), c.listeners);
    add_each(doc.get("clusters"), c.clusters);
    if (const auto* resources = doc.get("resources"); resources && resources->is_sequence())
        for (const auto& r : resources->items) {
            const auto t = type_of(r);
            if (t.ends_with(".Listener")) c.listeners.push_back(&r);
            if (t.ends_with(".Cluster")) c.clusters.push_back(&r);
        }
    if (const auto* configs = doc.get("configs"); configs && configs->is_sequence())
        for (const auto& dump : configs->items) {
            // The bootstrap dump repeats the static resources the other two list.
            const auto t = type_of(dump);
            if (t.ends_with("ListenersConfigDump")) {
                add_wrapped(dump.get("static_listeners"), {"listener"}, c.listeners);
                add_wrapped(dump.get("dynamic_listeners"), {"active_state", "listener"}, c.listeners);
            } else if (t.ends_with("ClustersConfigDump")) {
                add_wrapped(dump.get("static_clusters"), {"cluster"}, c.clusters);
                add_wrapped(dump.get("dynamic_active_clusters"), {"cluster"}, c.clusters);
            }
        }
    // One resource on its own.
    const auto t = type_of(doc);
    if (t.ends_with(".Listener") || (t.empty() && doc.get("filter_chains") && doc.get("address")))
        c.listeners.push_back(&doc);
    if (t.ends_with(".Cluster") || (t.empty() && (doc.get("load_assignment") || doc.get("connect_timeout")) &&
                                    doc.get("name")))
        c.clusters.push_back(&doc);
}

}  // namespace

Result<EnvoyConfig> parse_envoy_config(std::string_view text, std::string_view file) {
    auto docs = parse_yaml_documents(text, file);
    if (!docs) return std::unexpected(docs.error());
    EnvoyConfig c;
    c.files.emplace_back(file);
    c.documents = std::move(*docs);
    for (auto& d : c.documents) to_proto_names(d);
    for (const auto& d : c.documents) collect(d, c);
    if (c.listeners.empty() && c.clusters.empty())
        return fail(std::string(file),
                    "no Envoy listener or cluster in it (looked for static_resources, listeners, clusters, xDS "
                    "resources and a config_dump's configs); for a bootstrap with only dynamic_resources, audit "
                    "the admin /config_dump instead");
    return c;
}

}  // namespace kt
