// `audit` as a user runs it: exit codes, the JSON document, --fail-on, --path, includes and errors.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "support/run_binary.hpp"
#include "support/temp_dir.hpp"

namespace kt::test {
namespace {

std::string fixture(const std::string& name) {
    return source_dir() + "/tests/data/audit/" + name;
}

nlohmann::json json_of(const RunResult& r) {
    auto doc = nlohmann::json::parse(r.out, nullptr, false);
    EXPECT_FALSE(doc.is_discarded()) << r.out << r.err;
    return doc;
}

std::vector<std::string> rules(const nlohmann::json& doc) {
    std::vector<std::string> out;
    for (const auto& c : doc["configs"])
        for (const auto& f : c["findings"]) out.push_back(f["rule"].get<std::string>() + "@" + f["at"].get<std::string>());
    return out;
}

TEST(AuditCommandTest, ACleanConfigurationExitsZero) {
    const auto r = run_tool({"audit", fixture("nginx/clean.conf"), fixture("haproxy/clean.cfg")});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("nginx server clean.example"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("haproxy frontend fe_main"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("0 findings, 0 at or above high"), std::string::npos) << r.out;
}

TEST(AuditCommandTest, JsonFollowsTheSchema) {
    const auto r = run_tool({"audit", fixture("nginx/a5.conf"), "--json"});
    EXPECT_EQ(r.exit_code, 1) << r.err;
    const auto doc = json_of(r);
    EXPECT_EQ(doc["schema"], "keepalive-tune.audit.v1");
    EXPECT_EQ(doc["fail_on"], "high");
    EXPECT_EQ(doc["worst_severity"], "high");
    EXPECT_EQ(doc["counts"]["high"], 3);
    const auto& config = doc["configs"].at(0);
    EXPECT_EQ(config["type"], "nginx");
    EXPECT_TRUE(config["netns"].contains("idle_seconds"));
    const auto& f = config["findings"].at(0);
    for (const auto* key : {"rule", "severity", "at", "file", "line", "evidence", "fix"})
        EXPECT_TRUE(f.contains(key)) << key;
    EXPECT_EQ(f["fix"]["syntax"], "nginx");
    const auto& o = config["objects"].at(0);
    for (const auto* key : {"kind", "name", "at", "side", "tcp_keepalive", "settings"})
        EXPECT_TRUE(o.contains(key)) << key;
}

TEST(AuditCommandTest, FailOnDecidesTheExitCode) {
    EXPECT_EQ(run_tool({"audit", fixture("nginx/a6.conf")}).exit_code, 0);
    EXPECT_EQ(run_tool({"audit", fixture("nginx/a6.conf"), "--fail-on", "medium"}).exit_code, 1);
    EXPECT_EQ(run_tool({"audit", fixture("nginx/a3.conf"), "--fail-on", "low"}).exit_code, 0);
    EXPECT_EQ(run_tool({"audit", fixture("nginx/a3.conf"), "--fail-on", "info"}).exit_code, 1);
    const auto bad = run_tool({"audit", fixture("nginx/a6.conf"), "--fail-on", "critical"});
    EXPECT_EQ(bad.exit_code, 2);
    EXPECT_NE(bad.err.find("keepalive-tune: error: --fail-on: \"critical\" is not a severity"), std::string::npos)
        << bad.err;
}

TEST(AuditCommandTest, PathAddsTheLoadBalancerRules) {
    EXPECT_EQ(run_tool({"audit", fixture("haproxy/a13.cfg")}).exit_code, 0);
    const auto r = run_tool({"audit", fixture("haproxy/a13.cfg"), "--path", "aws-nlb-tcp", "--json"});
    EXPECT_EQ(r.exit_code, 1);
    const auto doc = json_of(r);
    EXPECT_EQ(doc["path"].at(0)["name"], "aws-nlb-tcp");
    const auto found = rules(doc);
    EXPECT_NE(std::find(found.begin(), found.end(), "A9@" + fixture("haproxy/a13.cfg") + ":6"), found.end());
    const auto bad = run_tool({"audit", fixture("haproxy/a13.cfg"), "--path", "aws-nbl"});
    EXPECT_EQ(bad.exit_code, 2);
    EXPECT_NE(bad.err.find("--path aws-nbl: unknown middlebox"), std::string::npos) << bad.err;
}

TEST(AuditCommandTest, FollowsIncludesRelativeToTheConfigurationsDirectory) {
    const auto r = run_tool({"audit", fixture("nginx/includes.conf"), "--json", "--fail-on", "medium"});
    EXPECT_EQ(r.exit_code, 1) << r.err;
    const auto doc = json_of(r);
    const auto& config = doc["configs"].at(0);
    EXPECT_EQ(config["files"].size(), 3u);
    EXPECT_EQ(rules(doc), std::vector<std::string>{"A6@" + fixture("nginx/conf.d/10-first.conf") + ":1"});
    const auto& server = config["objects"].at(0);
    EXPECT_EQ(server["name"], "a\"quoted\"name");
    EXPECT_EQ(server["tcp_keepalive"]["idle_seconds"], 60);
}

TEST(AuditCommandTest, AnAbsoluteIncludeFromOutsideTheConfigurationIsNamed) {
    TempDir host;
    TempDir copied;
    const auto outside = host.write("mime.types", "types { text/html html; }\n");
    const auto beside = copied.write("upstreams.conf", "upstream be { server 127.0.0.1:8080; keepalive 8; }\n");
    const auto main = copied.write("nginx.conf", "events {}\nhttp {\n    include " + outside + ";\n    include " +
                                                     beside + ";\n    server { listen 8080; }\n}\n");
    const auto r = run_tool({"audit", main, "--json"});
    ASSERT_NE(r.exit_code, 2) << r.err;
    const auto doc = json_of(r);
    const auto& notes = doc["configs"].at(0)["notes"];
    ASSERT_EQ(notes.size(), 1u) << notes.dump();
    const auto note = notes.at(0).get<std::string>();
    EXPECT_NE(note.find(outside + " (include at " + main + ":3) was read from this host"), std::string::npos) << note;
    EXPECT_EQ(note.find(beside), std::string::npos) << note;
    const auto text = run_tool({"audit", main});
    EXPECT_NE(text.out.find("note: " + outside), std::string::npos) << text.out;
}

TEST(AuditCommandTest, ASyntaxErrorSaysFileLineAndColumnAndExitsTwo) {
    TempDir d;
    const auto nginx = d.write("broken.conf", "events {}\nhttp {\n    server {\n        listen 80\n    }\n}\n");
    const auto r = run_tool({"audit", nginx});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_EQ(r.err, "keepalive-tune: error: " + nginx + ":5:5: unexpected \"}\"\n");
    const auto haproxy = d.write("broken.cfg", "defaults\n    mode http\nfrontend fe\n    bind \":80\n");
    const auto h = run_tool({"audit", haproxy, "--type", "haproxy"});
    EXPECT_EQ(h.exit_code, 2);
    EXPECT_EQ(h.err, "keepalive-tune: error: " + haproxy + ":4:10: unmatched quote (\")\n");
}

TEST(AuditCommandTest, BadInputExitsTwo) {
    TempDir d;
    const auto missing = run_tool({"audit", d.path() + "/nope.conf"});
    EXPECT_EQ(missing.exit_code, 2);
    EXPECT_NE(missing.err.find("nope.conf"), std::string::npos) << missing.err;
    const auto unknown = run_tool({"audit", d.write("x.txt", "hello\n")});
    EXPECT_EQ(unknown.exit_code, 2);
    EXPECT_NE(unknown.err.find("give --type nginx|haproxy"), std::string::npos) << unknown.err;
    const auto type = run_tool({"audit", fixture("nginx/clean.conf"), "--type", "apache"});
    EXPECT_EQ(type.exit_code, 2);
    EXPECT_NE(type.err.find("--type: \"apache\""), std::string::npos) << type.err;
    EXPECT_EQ(run_tool({"audit"}).exit_code, 2);
}

}  // namespace
}  // namespace kt::test
