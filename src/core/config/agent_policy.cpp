#include "core/config/agent_policy.hpp"

#include <algorithm>
#include <array>
#include <set>
#include <vector>

#include "core/config/yaml_tree.hpp"
#include "core/config/yaml_values.hpp"
#include "core/socket/socket_role.hpp"
#include "core/text/nearest.hpp"

namespace kt {

namespace {
// The length of the set at the start of `p` ("[a-z]", "[!ab]"), or 0 when it is not closed.
std::size_t set_length(std::string_view p) {
    std::size_t i = 1;
    if (i < p.size() && p[i] == '!') ++i;
    if (i < p.size() && p[i] == ']') ++i;  // a ']' first is a member
    while (i < p.size() && p[i] != ']') ++i;
    return i < p.size() ? i + 1 : 0;
}

bool in_set(std::string_view set, char c) {
    std::size_t i = 1;
    const bool negate = set[i] == '!';
    if (negate) ++i;
    bool found = false;
    for (const std::size_t end = set.size() - 1; i < end; ++i) {
        if (i + 2 < end && set[i + 1] == '-') {
            found = found || (set[i] <= c && c <= set[i + 2]);
            i += 2;
        } else {
            found = found || set[i] == c;
        }
    }
    return found != negate;
}

// Whether p[i..] matches t[j..], remembered per (i, j): patterns with many stars stay
// linear in pattern x text instead of exponential.
class GlobMatch {
public:
    GlobMatch(std::string_view p, std::string_view t) : m_p(p), m_t(t), m_memo((p.size() + 1) * (t.size() + 1), 0) {}
    bool at(std::size_t i, std::size_t j) {
        char& memo = m_memo[i * (m_t.size() + 1) + j];
        if (memo == 0) memo = compute(i, j) ? 1 : 2;
        return memo == 1;
    }

private:
    bool compute(std::size_t i, std::size_t j) {
        if (i == m_p.size()) return j == m_t.size();
        if (m_p.substr(i).starts_with("**")) return at(i + 2, j) || (j < m_t.size() && at(i, j + 1));
        if (m_p[i] == '*') return at(i + 1, j) || (j < m_t.size() && m_t[j] != '/' && at(i, j + 1));
        if (j == m_t.size()) return false;
        if (m_p[i] == '?') return m_t[j] != '/' && at(i + 1, j + 1);
        if (m_p[i] == '[') {
            const std::size_t n = set_length(m_p.substr(i));
            if (n == 0) return m_t[j] == '[' && at(i + 1, j + 1);  // unclosed: a plain '['
            return in_set(m_p.substr(i, n), m_t[j]) && at(i + n, j + 1);
        }
        return m_p[i] == m_t[j] && at(i + 1, j + 1);
    }
    std::string_view m_p, m_t;
    std::vector<char> m_memo;  // 0 unknown, 1 matches, 2 does not
};

Error at(const SourcePosition& where, std::string why) { return {where.file_line_column(), std::move(why)}; }

constexpr std::array<std::string_view, 4> k_top_keys{"schema", "rules", "metrics", "health"};
constexpr std::array<std::string_view, 6> k_rule_keys{"name", "profile", "match", "roles", "existing", "override_app"};
constexpr std::array<std::string_view, 4> k_match_keys{"cgroup", "unit", "pod", "container"};
constexpr std::array<std::string_view, 1> k_metrics_keys{"listen"};
constexpr std::array<std::string_view, 3> k_health_keys{"every", "paths", "connection_ends"};

// Every key of `map` is one of `known`; the first that is not is the error.
Result<void> known_keys(const YamlNode& map, std::span<const std::string_view> known, std::string_view where) {
    for (std::size_t i = 0; i < map.keys.size(); ++i) {
        bool ok = false;
        for (auto k : known) ok = ok || k == map.keys[i];
        if (!ok)
            return std::unexpected(at(map.items[i].at, "unknown key \"" + map.keys[i] + "\" in " + std::string(where) +
                                                            did_you_mean(map.keys[i], known)));
    }
    return {};
}

Result<std::string> text_of(const YamlNode& n, std::string_view key) {
    if (!n.is_scalar() || n.scalar.empty()) return std::unexpected(at(n.at, std::string(key) + ": must be a non-empty string"));
    return n.scalar;
}

Result<bool> flag_of(const YamlNode& n, std::string_view key) {
    auto b = yaml_bool(n);
    if (!b) return std::unexpected(at(n.at, std::string(key) + ": must be true or false"));
    return *b;
}

Result<std::string> glob_of(const YamlNode& n, std::string_view key) {
    auto t = text_of(n, key);
    if (!t) return t;
    if (auto g = check_glob(*t); !g) return std::unexpected(at(n.at, std::string(key) + " \"" + *t + "\": " + g.error().why));
    if (key == "cgroup" && t->starts_with("/")) {
        const std::string below = t->substr(std::min(t->find_first_not_of('/'), t->size()));
        return std::unexpected(at(n.at, "cgroup \"" + *t + "\": write the path below the cgroup2 mount, without the "
                                        "leading '/' (\"" + below + "\")"));
    }
    return t;
}

Result<PolicyMatch> match_of(const YamlNode& n, const SourcePosition& rule_at) {
    if (!n.is_mapping()) return std::unexpected(at(n.at, "match: must be a mapping of cgroup, unit, pod and container"));
    if (auto k = known_keys(n, k_match_keys, "match"); !k) return std::unexpected(k.error());
    PolicyMatch m;
    std::string* slots[] = {&m.cgroup, &m.unit, &m.pod, &m.container};
    for (std::size_t i = 0; i < k_match_keys.size(); ++i) {
        const YamlNode* v = n.get(k_match_keys[i]);
        if (!v) continue;
        auto g = glob_of(*v, k_match_keys[i]);
        if (!g) return std::unexpected(g.error());
        *slots[i] = *g;
    }
    if (m.empty()) return std::unexpected(at(rule_at, "match: give at least one of cgroup, unit, pod and container"));
    if (!m.container.empty() && m.pod.empty())
        return std::unexpected(at(n.get("container")->at, "container: names a container within a pod: give pod too (\"*/*\" for any pod)"));
    if (!m.pod.empty() && m.pod.find('/') == std::string::npos)
        return std::unexpected(at(n.get("pod")->at, "pod \"" + m.pod + "\": write NAMESPACE/NAME (\"*/" + m.pod + "\" for any namespace)"));
    return m;
}

Result<PolicyRule> rule_of(const YamlNode& n, std::size_t index) {
    if (!n.is_mapping()) return std::unexpected(at(n.at, "rules[" + std::to_string(index) + "]: must be a mapping"));
    if (auto k = known_keys(n, k_rule_keys, "a rule"); !k) return std::unexpected(k.error());
    PolicyRule r;
    r.at = n.at;
    const YamlNode* name = n.get("name");
    if (!name) return std::unexpected(at(n.at, "rules[" + std::to_string(index) + "]: give it a name"));
    auto nm = text_of(*name, "name");
    if (!nm) return std::unexpected(nm.error());
    r.name = *nm;
    const YamlNode* profile = n.get("profile");
    if (!profile) return std::unexpected(at(n.at, "rule " + r.name + ": give a profile (a name or a path to a .json file)"));
    auto pr = text_of(*profile, "profile");
    if (!pr) return std::unexpected(pr.error());
    r.profile = *pr;
    r.profile_at = profile->at;
    const YamlNode* match = n.get("match");
    if (!match) return std::unexpected(at(n.at, "rule " + r.name + ": give a match (cgroup, unit, pod or container)"));
    auto m = match_of(*match, match->at);
    if (!m) return std::unexpected(m.error());
    r.match = *m;
    if (const YamlNode* roles = n.get("roles")) {
        std::string list;
        if (roles->is_sequence()) {
            for (const auto& item : roles->items) {
                if (!item.is_scalar()) return std::unexpected(at(item.at, "roles: each must be listener, accepted or upstream"));
                list += (list.empty() ? "" : ",") + item.scalar;
            }
        } else if (roles->is_scalar()) {
            list = roles->scalar;
        }
        if (list.empty()) return std::unexpected(at(roles->at, "roles: give at least one of listener, accepted and upstream"));
        auto parsed = parse_role_list(list, "roles");
        if (!parsed) return std::unexpected(at(roles->at, parsed.error().line()));
        r.roles = *parsed;
    }
    if (const YamlNode* e = n.get("existing")) {
        auto b = flag_of(*e, "existing");
        if (!b) return std::unexpected(b.error());
        r.existing = *b;
    }
    if (const YamlNode* o = n.get("override_app")) {
        auto b = flag_of(*o, "override_app");
        if (!b) return std::unexpected(b.error());
        r.override_app = *b;
    }
    return r;
}
}  // namespace

Result<void> check_glob(std::string_view pattern) {
    for (std::size_t i = 0; i < pattern.size(); ++i) {
        if (pattern[i] != '[') continue;
        const std::size_t n = set_length(pattern.substr(i));
        if (n == 0) return fail(std::string(pattern), "'[' at character " + std::to_string(i + 1) + " is not closed by ']'");
        i += n - 1;
    }
    return {};
}

bool glob_matches(std::string_view pattern, std::string_view text) {
    // Cgroup paths and pod names are short; anything longer matches nothing rather than
    // costing pattern x text memory.
    if (pattern.size() > 1024 || text.size() > 4096) return false;
    return GlobMatch(pattern, text).at(0, 0);
}

Result<AgentPolicy> parse_agent_policy(std::string_view text, std::string_view file) {
    auto docs = parse_yaml_documents(text, file);
    if (!docs) return std::unexpected(docs.error());
    const SourcePosition start{std::string(file), 1, 1};
    if (docs->size() != 1 || !(*docs)[0].is_mapping())
        return std::unexpected(at(docs->empty() ? start : (*docs)[0].at,
                                  "a policy is one YAML mapping with schema: " + std::string(k_policy_schema) + " and rules"));
    const YamlNode& root = (*docs)[0];
    if (auto k = known_keys(root, k_top_keys, "the policy"); !k) return std::unexpected(k.error());
    const YamlNode* schema = root.get("schema");
    if (!schema) return std::unexpected(at(start, "schema: missing; write schema: " + std::string(k_policy_schema)));
    if (!schema->is_scalar() || schema->scalar != k_policy_schema)
        return std::unexpected(at(schema->at, "schema \"" + schema->scalar + "\": this version reads " + k_policy_schema));
    AgentPolicy p;
    p.file = std::string(file);
    const YamlNode* rules = root.get("rules");
    if (!rules) return std::unexpected(at(start, "rules: missing; give at least one rule"));
    if (!rules->is_sequence()) return std::unexpected(at(rules->at, "rules: must be a list of rules"));
    std::set<std::string> names;
    for (std::size_t i = 0; i < rules->items.size(); ++i) {
        auto r = rule_of(rules->items[i], i);
        if (!r) return std::unexpected(r.error());
        if (!names.insert(r->name).second)
            return std::unexpected(at(rules->items[i].get("name")->at, "rule name \"" + r->name + "\" is used twice: names must be unique"));
        p.rules.push_back(std::move(*r));
    }
    if (const YamlNode* m = root.get("metrics")) {
        if (!m->is_mapping()) return std::unexpected(at(m->at, "metrics: must be a mapping with listen"));
        if (auto k = known_keys(*m, k_metrics_keys, "metrics"); !k) return std::unexpected(k.error());
        if (const YamlNode* l = m->get("listen")) {
            auto t = text_of(*l, "listen");
            if (!t) return std::unexpected(t.error());
            if (t->rfind(':') == std::string::npos || t->rfind(':') == 0 || t->back() == ':')
                return std::unexpected(at(l->at, "listen \"" + *t + "\": write ADDR:PORT (127.0.0.1:9977, [::1]:9977)"));
            p.metrics_listen = *t;
        }
    }
    if (const YamlNode* h = root.get("health")) {
        if (!h->is_mapping()) return std::unexpected(at(h->at, "health: must be a mapping with every, paths and connection_ends"));
        if (auto k = known_keys(*h, k_health_keys, "health"); !k) return std::unexpected(k.error());
        if (const YamlNode* e = h->get("every")) {
            auto ns = yaml_duration_ns(*e);
            if (!ns) return std::unexpected(at(e->at, "every: " + ns.error().why));
            if (*ns < 1'000'000'000ull || *ns > 86'400'000'000'000ull)
                return std::unexpected(at(e->at, "every: must be between 1s and 24h"));
            p.health_every_ms = *ns / 1'000'000;
        }
        if (const YamlNode* paths = h->get("paths")) {
            auto t = text_of(*paths, "paths");
            if (!t) return std::unexpected(t.error());
            p.health_paths = *t;
        }
        if (const YamlNode* c = h->get("connection_ends")) {
            auto b = flag_of(*c, "connection_ends");
            if (!b) return std::unexpected(b.error());
            p.connection_ends = *b;
        }
    }
    return p;
}

bool rule_matches(const PolicyRule& rule, const CgroupFacts& c) {
    const auto& m = rule.match;
    if (!m.cgroup.empty() && !glob_matches(m.cgroup, c.path)) return false;
    if (!m.unit.empty()) {
        const auto slash = c.path.rfind('/');
        if (!glob_matches(m.unit, slash == std::string::npos ? c.path : std::string_view(c.path).substr(slash + 1))) return false;
    }
    if (!m.pod.empty() && (c.pod.empty() || !glob_matches(m.pod, c.pod))) return false;
    if (!m.container.empty() && (c.container.empty() || !glob_matches(m.container, c.container))) return false;
    return true;
}

}  // namespace kt
