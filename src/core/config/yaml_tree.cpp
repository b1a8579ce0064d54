#include "core/config/yaml_tree.hpp"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <exception>
#include <sstream>

namespace kt {

namespace {

struct Converter {
    std::string file;
    std::uint32_t line_offset = 0;
    // Aliases share nodes in yaml-cpp but are copied here, so a few lines of anchors could ask
    // for billions of nodes ("billion laughs"), or copy one long string many times. Written
    // out, every node takes at least two bytes and every scalar its own length: more than
    // that means aliases are multiplying.
    std::size_t max_nodes = 0;
    std::size_t nodes = 0;
    std::size_t scalar_bytes = 0;

    SourcePosition position(const YAML::Mark& m) const {
        if (m.is_null()) return {file, line_offset + 1, 1};
        return {file, line_offset + static_cast<std::uint32_t>(m.line) + 1, static_cast<std::uint32_t>(m.column) + 1};
    }

    Result<YamlNode> convert(const YAML::Node& n) {
        if (++nodes > max_nodes || scalar_bytes > max_nodes)
            return fail(position(n.Mark()).file_line_column(),
                        "aliases expand to more than " + std::to_string(max_nodes) +
                            " nodes or bytes of text; refusing to expand further");
        YamlNode out;
        out.at = position(n.Mark());
        switch (n.Type()) {
            case YAML::NodeType::Undefined:
            case YAML::NodeType::Null:
                out.kind = YamlNode::Kind::null;
                break;
            case YAML::NodeType::Scalar:
                out.kind = YamlNode::Kind::scalar;
                out.scalar = n.Scalar();
                scalar_bytes += out.scalar.size();
                out.quoted = n.Tag() == "!";
                break;
            case YAML::NodeType::Sequence:
                out.kind = YamlNode::Kind::sequence;
                for (const auto& item : n) {
                    auto c = convert(item);
                    if (!c) return c;
                    out.items.push_back(std::move(*c));
                }
                break;
            case YAML::NodeType::Map:
                out.kind = YamlNode::Kind::mapping;
                for (const auto& kv : n) {
                    out.keys.push_back(kv.first.IsScalar() ? kv.first.Scalar() : std::string());
                    scalar_bytes += out.keys.back().size();
                    auto c = convert(kv.second);
                    if (!c) return c;
                    // A block collection's mark is its first entry, an empty value has none: a
                    // field is cited where its key is written.
                    if (c->kind != YamlNode::Kind::scalar) c->at = position(kv.first.Mark());
                    out.items.push_back(std::move(*c));
                }
                break;
        }
        return out;
    }
};

// Counts the parser's events and stops it past `left`. yaml-cpp 0.7 never ends on some inputs
// (a document whose first node starts with `,`, such as ", x"): it makes null nodes until memory
// runs out. Written out, every event takes at least one byte of text, so more events than the
// text could hold mean the parser is looping.
class EventBudget : public YAML::EventHandler {
public:
    explicit EventBudget(std::size_t limit) : m_left(limit) {}
    void OnDocumentStart(const YAML::Mark&) override {}
    void OnDocumentEnd() override {}
    void OnNull(const YAML::Mark& m, YAML::anchor_t) override { spend(m); }
    void OnAlias(const YAML::Mark& m, YAML::anchor_t) override { spend(m); }
    void OnScalar(const YAML::Mark& m, const std::string&, YAML::anchor_t, const std::string&) override { spend(m); }
    void OnSequenceStart(const YAML::Mark& m, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {
        spend(m);
    }
    void OnSequenceEnd() override {}
    void OnMapStart(const YAML::Mark& m, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {
        spend(m);
    }
    void OnMapEnd() override {}

private:
    void spend(const YAML::Mark& m) {
        if (m_left-- == 0)
            throw YAML::ParserException(m, "the YAML parser stopped making progress here (yaml-cpp 0.7 loops on a "
                                           "',' where a document's first node should be)");
    }
    std::size_t m_left;
};

}  // namespace

const YamlNode* YamlNode::get(std::string_view key) const {
    if (kind != Kind::mapping) return nullptr;
    for (std::size_t i = 0; i < keys.size(); ++i)
        if (keys[i] == key) return &items[i];
    return nullptr;
}

const YamlNode* YamlNode::path(std::initializer_list<std::string_view> path_keys) const {
    const YamlNode* n = this;
    for (auto k : path_keys) {
        n = n->get(k);
        if (!n) return nullptr;
    }
    return n;
}

Result<std::vector<YamlNode>> parse_embedded_yaml(std::string_view text, std::string_view file,
                                                  std::uint32_t first_line) {
    Converter c{std::string(file), first_line > 0 ? first_line - 1 : 0, 2 * text.size() + 1024, 0};
    try {
        {
            std::istringstream in{std::string(text)};
            YAML::Parser parser(in);
            EventBudget budget(c.max_nodes);
            while (parser.HandleNextDocument(budget)) {
            }
        }
        std::vector<YamlNode> out;
        for (const auto& doc : YAML::LoadAll(std::string(text))) {
            auto n = c.convert(doc);
            if (!n) return std::unexpected(n.error());
            out.push_back(std::move(*n));
        }
        return out;
    } catch (const YAML::Exception& e) {
        return fail(c.position(e.mark).file_line_column(), e.msg);
    } catch (const std::exception& e) {
        return fail(std::string(file), std::string("cannot read it as YAML: ") + e.what());
    }
}

Result<std::vector<YamlNode>> parse_yaml_documents(std::string_view text, std::string_view file) {
    return parse_embedded_yaml(text, file, 1);
}

}  // namespace kt
