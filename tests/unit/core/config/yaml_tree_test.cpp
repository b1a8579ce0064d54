// The YAML adapter and the field readers on top of it.
#include <gtest/gtest.h>

#include <algorithm>

#include "core/config/yaml_tree.hpp"
#include "core/config/yaml_values.hpp"

namespace kt {
namespace {

YamlNode one_document(std::string_view text) {
    auto docs = parse_yaml_documents(text, "t.yaml");
    EXPECT_TRUE(docs.has_value()) << (docs ? "" : docs.error().line());
    EXPECT_EQ(docs ? docs->size() : 0u, 1u);
    return docs && !docs->empty() ? docs->front() : YamlNode{};
}

TEST(YamlTreeTest, KeepsScalarsAsTextWithTheirPositions) {
    const auto doc = one_document("a:\n  b: on\n  c: \"1\"\n  d: [x, 'y']\n");
    const auto* b = doc.path({"a", "b"});
    ASSERT_NE(b, nullptr);
    EXPECT_EQ(b->scalar, "on");
    EXPECT_FALSE(b->quoted);
    EXPECT_EQ(b->at.line, 2u);
    EXPECT_EQ(b->at.column, 6u);
    EXPECT_TRUE(doc.path({"a", "c"})->quoted);
    const auto* d = doc.path({"a", "d"});
    ASSERT_TRUE(d->is_sequence());
    EXPECT_EQ(d->items.at(1).scalar, "y");
    // A block collection is cited at its key.
    EXPECT_EQ(doc.get("a")->at.line, 1u);
}

TEST(YamlTreeTest, ReadsEveryDocumentOfAStream) {
    auto docs = parse_yaml_documents("kind: A\n---\nkind: B\n---\n# only a comment\n", "t.yaml");
    ASSERT_TRUE(docs.has_value());
    ASSERT_GE(docs->size(), 2u);
    EXPECT_EQ(docs->at(1).get("kind")->scalar, "B");
    EXPECT_EQ(docs->at(1).get("kind")->at.line, 3u);
}

TEST(YamlTreeTest, SyntaxErrorsSayFileLineAndColumn) {
    auto bad = parse_yaml_documents("a: 1\nb: [1, 2\nc: 3\n", "bad.yaml");
    ASSERT_FALSE(bad.has_value());
    EXPECT_TRUE(bad.error().what.starts_with("bad.yaml:")) << bad.error().line();
    EXPECT_EQ(std::count(bad.error().what.begin(), bad.error().what.end(), ':'), 2) << bad.error().line();
    EXPECT_FALSE(bad.error().why.empty());
    auto tab = parse_yaml_documents("a:\n  b: 1\n c: 2\n", "indent.yaml");
    ASSERT_FALSE(tab.has_value());
    EXPECT_EQ(tab.error().what, "indent.yaml:3:2") << tab.error().line();
    auto json = parse_yaml_documents("{\"a\": [1, 2}", "dump.json");
    ASSERT_FALSE(json.has_value());
    EXPECT_TRUE(json.error().what.starts_with("dump.json:1:")) << json.error().line();
}

TEST(YamlTreeTest, RefusesAnAliasBomb) {
    std::string text = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
    char prev = 'a';
    for (char c = 'b'; c <= 'h'; ++c, ++prev)
        text += std::string(1, c) + ": &" + c + " [*" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" +
                prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + "]\n";
    auto r = parse_yaml_documents(text, "bomb.yaml");
    ASSERT_FALSE(r.has_value());
    EXPECT_NE(r.error().why.find("aliases"), std::string::npos) << r.error().line();
}

// yaml-cpp 0.7 makes null nodes until memory runs out on a document that starts with ','.
TEST(YamlTreeTest, StopsTheParserWhereItLoops) {
    auto r = parse_yaml_documents(", x", "loop.yaml");
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().what, "loop.yaml:1:1") << r.error().line();
    auto later = parse_yaml_documents("a: 1\n---\n&anchor ,\n", "loop.yaml");
    ASSERT_FALSE(later.has_value());
    EXPECT_TRUE(later.error().what.starts_with("loop.yaml:3:")) << later.error().line();
}

TEST(YamlTreeTest, EmbeddedDocumentsCountLinesInTheOuterFile) {
    auto docs = parse_embedded_yaml("a: 1\nb:\n  c: [\n", "cm.yaml", 30);
    ASSERT_FALSE(docs.has_value());
    EXPECT_TRUE(docs.error().what.starts_with("cm.yaml:3")) << docs.error().line();
}

TEST(YamlValuesTest, IntegersMayBeQuotedAsProtoJsonWritesInt64) {
    const auto doc = one_document("a: 1\nb: \"9\"\nc: -3\nd: x\ne: 1.5\n");
    EXPECT_EQ(yaml_integer(*doc.get("a")), 1);
    EXPECT_EQ(yaml_integer(*doc.get("b")), 9);
    EXPECT_EQ(yaml_integer(*doc.get("c")), -3);
    EXPECT_EQ(yaml_integer(*doc.get("d")), std::nullopt);
    EXPECT_EQ(yaml_integer(*doc.get("e")), std::nullopt);
}

TEST(YamlValuesTest, BooleansInYaml11AndYaml12Spellings) {
    const auto doc = one_document("a: on\nb: \"False\"\nc: yes\nd: 1\n");
    EXPECT_EQ(yaml_bool(*doc.get("a")), true);
    EXPECT_EQ(yaml_bool(*doc.get("b")), false);
    EXPECT_EQ(yaml_bool(*doc.get("c")), true);
    EXPECT_EQ(yaml_bool(*doc.get("d")), std::nullopt);
}

TEST(YamlValuesTest, DurationsInProtobufAndGoForms) {
    const auto doc = one_document(
        "a: 60s\nb: \"0.5s\"\nc: 1h30m\nd: 500ms\ne: {seconds: \"2\", nanos: 5}\nf: 60\ng: 3.500s\nh: 5x\ni: s\n");
    auto ns = [&](const char* k) { return yaml_duration_ns(*doc.get(k)); };
    EXPECT_EQ(ns("a"), 60000000000ULL);
    EXPECT_EQ(ns("b"), 500000000ULL);
    EXPECT_EQ(ns("c"), 5400000000000ULL);
    EXPECT_EQ(ns("d"), 500000000ULL);
    EXPECT_EQ(ns("e"), 2000000005ULL);
    EXPECT_EQ(ns("f"), 60000000000ULL);
    EXPECT_EQ(ns("g"), 3500000000ULL);
    ASSERT_FALSE(ns("h").has_value());
    EXPECT_EQ(ns("h").error().what, "t.yaml:8:4");
    EXPECT_NE(ns("h").error().why.find("\"5x\""), std::string::npos);
    EXPECT_FALSE(ns("i").has_value());
    EXPECT_EQ(format_duration_ns(500000000ULL), "500ms");
    EXPECT_EQ(format_duration_ns(3600000000000ULL), "1h");
}

}  // namespace
}  // namespace kt
