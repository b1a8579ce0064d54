// The rendered YAML, Java and Go go through real parsers: PyYAML (the values are then read from
// the parsed tree, so YAML typing such as "240" versus 240 is checked too), javac, and gofmt
// where Go is installed. As in profile_render_validate_test, a broken copy must be refused.
#include <gtest/gtest.h>

#include <array>
#include <nlohmann/json.hpp>
#include <optional>

#include "support/run_binary.hpp"
#include "support/snippet_check.hpp"
#include "support/temp_dir.hpp"

namespace kt::test {
namespace {

const std::string k_nlb = "/profiles/aws-nlb.json";

// PyYAML, if python3 has it.
std::string python_with_yaml() {
    const auto python = find_on_path("python3");
    if (python.empty() || run_program({python, "-c", "import yaml"}).exit_code != 0) return {};
    return python;
}

// Each text's documents, parsed by PyYAML in one run and handed back as JSON; nullopt for a
// text PyYAML refuses.
std::vector<std::optional<nlohmann::json>> parse_yaml_all(const std::string& python, const TempDir& d,
                                                          const std::vector<std::string>& texts) {
    std::vector<std::string> argv{python, "-c",
                                  "import json, sys, yaml\n"
                                  "for name in sys.argv[1:]:\n"
                                  "    try:\n"
                                  "        print(json.dumps(list(yaml.safe_load_all(open(name)))))\n"
                                  "    except yaml.YAMLError:\n"
                                  "        print('null')\n"};
    for (std::size_t i = 0; i < texts.size(); ++i)
        argv.push_back(d.write("yaml/" + std::to_string(i) + ".yaml", texts[i]));
    const auto r = run_program(argv);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::vector<std::optional<nlohmann::json>> parsed;
    std::size_t start = 0;
    while (start < r.out.size()) {
        const auto end = r.out.find('\n', start);
        auto doc = nlohmann::json::parse(r.out.substr(start, end - start));
        parsed.push_back(doc.is_null() ? std::nullopt : std::optional<nlohmann::json>(std::move(doc)));
        start = end + 1;
    }
    EXPECT_EQ(parsed.size(), texts.size());
    parsed.resize(texts.size());
    return parsed;
}

std::optional<nlohmann::json> parse_yaml(const std::string& python, const TempDir& d, const std::string& text) {
    return parse_yaml_all(python, d, {text})[0];
}

// The first document of each snippet of the rendering, in order.
std::vector<nlohmann::json> yaml_documents(const std::string& python, const TempDir& d, const std::string& target,
                                           const std::string& side = "both",
                                           const std::vector<std::string>& extra = {}) {
    std::vector<nlohmann::json> docs;
    for (const auto& s : render_snippets(source_dir() + k_nlb, target, side, extra)) {
        EXPECT_EQ(s.syntax, "yaml") << target;
        const auto parsed = parse_yaml(python, d, s.text);
        EXPECT_TRUE(parsed.has_value()) << s.text;
        docs.push_back(parsed && !parsed->empty() ? (*parsed)[0] : nlohmann::json());
    }
    return docs;
}

#define KT_REQUIRE_PYYAML(var)                  \
    const std::string var = python_with_yaml(); \
    if (var.empty()) GTEST_SKIP() << "python3 with the yaml module (python3-yaml) is not installed"

TEST(ProfileRenderParseTest, EveryYamlSnippetParsesForEveryProfileAndSide) {
    KT_REQUIRE_PYYAML(python);
    TempDir d;
    std::vector<std::string> texts;
    for (const std::string target : {"envoy", "istio", "envoy-gateway", "gloo", "higress", "kubernetes"})
        for (const auto& profile : validation_profiles(d))
            for (const std::string side : {"both", "downstream", "upstream"})
                for (const auto& s : render_snippets(profile, target, side)) texts.push_back(s.text);
    for (const auto& profile : validation_profiles(d))
        for (const auto& s : render_snippets(profile, "envoy", "both", {"--envoy-version", "1.36"}))
            texts.push_back(s.text);
    const auto parsed = parse_yaml_all(python, d, texts);
    for (std::size_t i = 0; i < texts.size(); ++i) EXPECT_TRUE(parsed[i].has_value()) << texts[i];
    // A tab where YAML wants spaces.
    const auto text = render_snippets(source_dir() + k_nlb, "istio")[0].text;
    std::string broken = text;
    broken.replace(broken.find("\n  "), 3, "\n\t");
    EXPECT_FALSE(parse_yaml(python, d, broken).has_value()) << broken;
}

TEST(ProfileRenderParseTest, EnvoyValuesAreIntegersWhereEnvoyWantsThem) {
    KT_REQUIRE_PYYAML(python);
    TempDir d;
    const auto docs = yaml_documents(python, d, "envoy");
    ASSERT_EQ(docs.size(), 2u);
    const auto& listener = docs[0]["listeners"][0];
    EXPECT_EQ(listener["tcp_keepalive"],
              nlohmann::json({{"keepalive_time", 240}, {"keepalive_interval", 30}, {"keepalive_probes", 4}}));
    EXPECT_EQ(listener["socket_options"][0]["level"], 6);
    EXPECT_EQ(listener["socket_options"][0]["name"], 18);
    EXPECT_EQ(listener["socket_options"][0]["int_value"], 360000);
    EXPECT_EQ(listener["socket_options"][0]["state"], "STATE_PREBIND");
    const auto& cluster = docs[1]["clusters"][0];
    EXPECT_EQ(cluster["upstream_connection_options"]["tcp_keepalive"]["keepalive_time"], 240);
    EXPECT_EQ(cluster["upstream_bind_config"]["socket_options"][0]["int_value"], 360000);

    const auto old = yaml_documents(python, d, "envoy", "downstream", {"--envoy-version", "1.36"});
    ASSERT_EQ(old.size(), 1u);
    const auto& options = old[0]["listeners"][0]["socket_options"];
    ASSERT_EQ(options.size(), 5u);
    const std::vector<std::array<int, 3>> expected = {{1, 9, 1}, {6, 4, 240}, {6, 5, 30}, {6, 6, 4}, {6, 18, 360000}};
    for (std::size_t i = 0; i < expected.size(); ++i) {
        EXPECT_EQ(options[i]["level"], expected[i][0]) << i;
        EXPECT_EQ(options[i]["name"], expected[i][1]) << i;
        EXPECT_EQ(options[i]["int_value"], expected[i][2]) << i;
    }
}

TEST(ProfileRenderParseTest, IstioAndEnvoyGatewayDurationsAreStringsAndProbesIntegers) {
    KT_REQUIRE_PYYAML(python);
    TempDir d;
    const auto istio = yaml_documents(python, d, "istio");
    ASSERT_EQ(istio.size(), 3u);
    EXPECT_EQ(istio[0]["spec"]["trafficPolicy"]["connectionPool"]["tcp"]["tcpKeepalive"],
              nlohmann::json({{"time", "240s"}, {"interval", "30s"}, {"probes", 4}}));
    EXPECT_EQ(istio[1]["meshConfig"]["tcpKeepalive"]["time"], "240s");
    EXPECT_EQ(istio[2]["kind"], "EnvoyFilter");
    EXPECT_EQ(istio[2]["spec"]["configPatches"][0]["patch"]["value"]["socket_options"][1]["int_value"], 240);
    const auto eg = yaml_documents(python, d, "envoy-gateway");
    ASSERT_EQ(eg.size(), 2u);
    for (const auto& doc : eg)
        EXPECT_EQ(doc["spec"]["tcpKeepalive"],
                  nlohmann::json({{"idleTime", "240s"}, {"interval", "30s"}, {"probes", 4}}));
}

TEST(ProfileRenderParseTest, GlooSocketOptionsAndUpstreamKeepalive) {
    KT_REQUIRE_PYYAML(python);
    TempDir d;
    const auto docs = yaml_documents(python, d, "gloo");
    ASSERT_EQ(docs.size(), 2u);
    EXPECT_EQ(docs[0]["spec"]["options"]["socketOptions"][1]["intValue"], 240);
    EXPECT_EQ(docs[0]["spec"]["bindAddress"], "::");
    EXPECT_EQ(docs[1]["spec"]["connectionConfig"]["tcpKeepalive"],
              nlohmann::json({{"keepaliveProbes", 4}, {"keepaliveTime", "240s"}, {"keepaliveInterval", "30s"}}));
}

TEST(ProfileRenderParseTest, KubernetesSysctlValuesAreStrings) {
    KT_REQUIRE_PYYAML(python);
    TempDir d;
    const auto docs = yaml_documents(python, d, "kubernetes");
    ASSERT_EQ(docs.size(), 1u);
    EXPECT_EQ(docs[0]["spec"]["template"]["spec"]["securityContext"]["sysctls"],
              nlohmann::json::parse(R"([{"name": "net.ipv4.tcp_keepalive_time", "value": "240"},
                                        {"name": "net.ipv4.tcp_keepalive_intvl", "value": "30"},
                                        {"name": "net.ipv4.tcp_keepalive_probes", "value": "4"}])"));
}

// javac, in one run, on each text as vN/KeepaliveProfile.java with `package vN;` put in front
// (so that the variants can share one compilation), with `extra` sources beside them.
RunResult javac(const std::string& compiler, const TempDir& d, const std::vector<std::string>& texts,
                const std::vector<std::string>& extra = {}) {
    std::vector<std::string> argv{compiler, "-d", d.path() + "/classes"};
    for (std::size_t i = 0; i < texts.size(); ++i) {
        const std::string package = "v" + std::to_string(i);
        argv.push_back(d.write("src/" + package + "/KeepaliveProfile.java", "package " + package + ";\n" + texts[i]));
    }
    argv.insert(argv.end(), extra.begin(), extra.end());
    return run_program(argv);
}

TEST(ProfileRenderParseTest, JavaCompiles) {
    const auto compiler = find_on_path("javac");
    if (compiler.empty()) GTEST_SKIP() << "javac is not installed";
    TempDir d;
    std::vector<std::string> texts;
    for (const auto& profile : validation_profiles(d))
        for (const std::string side : {"both", "downstream", "upstream"})
            texts.push_back(render_snippets(profile, "java", side)[0].text);
    const auto r = javac(compiler, d, texts);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::string broken = render_snippets(source_dir() + k_nlb, "java")[0].text;
    broken.erase(broken.find("TCP_KEEPIDLE, 240);") + 18, 1);
    TempDir other;
    EXPECT_NE(javac(compiler, other, {broken}).exit_code, 0);
}

// Stand-ins with the signatures of Netty 4.1's classes (AbstractBootstrap.option,
// ServerBootstrap.childOption, ChannelOption<Boolean> SO_KEEPALIVE, ChannelOption<Integer>
// EpollChannelOption.TCP_*), since Netty's jars are not installed.
std::vector<std::string> netty_stand_ins(const TempDir& d) {
    return {
        d.write("netty/io/netty/channel/ChannelOption.java",
                "package io.netty.channel;\npublic class ChannelOption<T> {\n"
                "    public static final ChannelOption<Boolean> SO_KEEPALIVE = new ChannelOption<>();\n"
                "    protected ChannelOption() {}\n}\n"),
        d.write("netty/io/netty/channel/epoll/EpollChannelOption.java",
                "package io.netty.channel.epoll;\nimport io.netty.channel.ChannelOption;\n"
                "public final class EpollChannelOption<T> extends ChannelOption<T> {\n"
                "    public static final ChannelOption<Integer> TCP_KEEPIDLE = new EpollChannelOption<>();\n"
                "    public static final ChannelOption<Integer> TCP_KEEPINTVL = new EpollChannelOption<>();\n"
                "    public static final ChannelOption<Integer> TCP_KEEPCNT = new EpollChannelOption<>();\n"
                "    public static final ChannelOption<Integer> TCP_USER_TIMEOUT = new EpollChannelOption<>();\n"
                "    private EpollChannelOption() {}\n}\n"),
        d.write("netty/io/netty/bootstrap/Bootstrap.java",
                "package io.netty.bootstrap;\nimport io.netty.channel.ChannelOption;\npublic class Bootstrap {\n"
                "    public <T> Bootstrap option(ChannelOption<T> option, T value) { return this; }\n}\n"),
        d.write("netty/io/netty/bootstrap/ServerBootstrap.java",
                "package io.netty.bootstrap;\nimport io.netty.channel.ChannelOption;\npublic class ServerBootstrap {\n"
                "    public <T> ServerBootstrap option(ChannelOption<T> option, T value) { return this; }\n"
                "    public <T> ServerBootstrap childOption(ChannelOption<T> option, T value) { return this; }\n}\n"),
    };
}

TEST(ProfileRenderParseTest, NettyCompilesAgainstTheSignaturesOfNettysClasses) {
    const auto compiler = find_on_path("javac");
    if (compiler.empty()) GTEST_SKIP() << "javac is not installed";
    TempDir d;
    std::vector<std::string> texts;
    for (const auto& profile : validation_profiles(d))
        for (const std::string side : {"both", "downstream", "upstream"})
            texts.push_back(render_snippets(profile, "netty", side)[0].text);
    const auto r = javac(compiler, d, texts, netty_stand_ins(d));
    EXPECT_EQ(r.exit_code, 0) << r.err;
    // A long where Netty takes an Integer.
    TempDir other;
    const auto text = render_snippets(source_dir() + k_nlb, "netty")[0].text;
    EXPECT_NE(javac(compiler, other, {break_value(text, "TCP_KEEPIDLE, ", "240L)")}, netty_stand_ins(other)).exit_code,
              0);
}

TEST(ProfileRenderParseTest, GoIsGofmtClean) {
    const auto gofmt = find_on_path("gofmt");
    if (gofmt.empty()) GTEST_SKIP() << "gofmt is not installed (Go is not a dependency of keepalive-tune)";
    TempDir d;
    for (const auto& profile : validation_profiles(d))
        for (const std::string side : {"both", "downstream", "upstream"}) {
            const auto file = d.write("keepalive.go", render_snippets(profile, "go", side)[0].text);
            const auto r = run_program({gofmt, "-l", file});
            EXPECT_EQ(r.exit_code, 0) << profile << r.err;
            EXPECT_EQ(r.out, "") << profile << " " << side << ": not gofmt-formatted";
        }
    const auto text = render_snippets(source_dir() + k_nlb, "go")[0].text;
    EXPECT_NE(run_program({gofmt, "-l", d.write("broken.go", text.substr(0, text.rfind('}')))}).exit_code, 0);
}

}  // namespace
}  // namespace kt::test
