// A running proxy's command line, as /proc/PID/cmdline gives it, to the files it read.
#include "core/config/proxy_launch.hpp"

#include <gtest/gtest.h>

namespace kt {
namespace {

using Words = std::vector<std::string>;

ProxyLaunch launch(ProxyKind k, const Words& argv, std::string_view cwd = "/") {
    auto l = parse_proxy_launch(k, argv, cwd);
    EXPECT_TRUE(l.has_value()) << (l ? "" : l.error().line());
    return l ? *l : ProxyLaunch{};
}

TEST(ProxyLaunchTest, TheKindComesFromTheCommOrTheExecutableName) {
    EXPECT_EQ(proxy_kind_of("nginx", ""), ProxyKind::nginx);
    EXPECT_EQ(proxy_kind_of("haproxy", "/usr/sbin/haproxy"), ProxyKind::haproxy);
    EXPECT_EQ(proxy_kind_of("envoy-main", "/usr/local/bin/envoy"), ProxyKind::envoy);
    EXPECT_EQ(proxy_kind_of("sleep", "/usr/bin/sleep"), std::nullopt);
    EXPECT_EQ(proxy_kind_of("nginx-debug", "/usr/sbin/nginx-debug"), std::nullopt);
}

TEST(ProxyLaunchTest, NginxWithoutDashCReadsTheCompiledDefault) {
    const auto l = launch(ProxyKind::nginx, {"/usr/sbin/nginx"});
    EXPECT_TRUE(l.default_config);
    EXPECT_EQ(l.config_paths, Words{"/etc/nginx/nginx.conf"});
}

TEST(ProxyLaunchTest, NginxMasterCommandLineIsSplitBackIntoWords) {
    // What /proc/PID/cmdline of a master holds after ngx_setproctitle.
    const auto l = launch(ProxyKind::nginx,
                          {"nginx: master process /usr/sbin/nginx -g daemon off; master_process on; -c /srv/ng.conf"});
    EXPECT_FALSE(l.default_config);
    EXPECT_EQ(l.config_paths, Words{"/srv/ng.conf"});
}

TEST(ProxyLaunchTest, NginxRelativeConfigIsTakenFromThePrefixNotTheWorkingDirectory) {
    EXPECT_EQ(launch(ProxyKind::nginx, {"nginx", "-c", "conf/a.conf"}, "/home/x").config_paths,
              Words{"/usr/share/nginx/conf/a.conf"});
    const auto l = launch(ProxyKind::nginx, {"nginx", "-p", "run/ng", "-c", "a.conf"}, "/home/x");
    EXPECT_EQ(l.prefix, "/home/x/run/ng/");
    EXPECT_EQ(l.config_paths, Words{"/home/x/run/ng/a.conf"});
    // -c and -p also take their value in the same word, and flags combine.
    EXPECT_EQ(launch(ProxyKind::nginx, {"nginx", "-qp/opt/ng", "-cconf/../b.conf"}).config_paths,
              Words{"/opt/ng/b.conf"});
}

TEST(ProxyLaunchTest, NginxWorkersPointToTheirMaster) {
    EXPECT_TRUE(launch(ProxyKind::nginx, {"nginx: worker process"}).nginx_helper);
    EXPECT_TRUE(launch(ProxyKind::nginx, {"nginx: cache manager process"}).nginx_helper);
    EXPECT_FALSE(launch(ProxyKind::nginx, {"/usr/sbin/nginx", "-c", "/a.conf"}).nginx_helper);
}

TEST(ProxyLaunchTest, HaproxyReadsEveryDashFAndTheFilesAfterDashDash) {
    const auto l = launch(ProxyKind::haproxy,
                          {"/usr/sbin/haproxy", "-Ws", "-f", "/etc/haproxy/haproxy.cfg", "-f", "conf.d", "-p",
                           "/run/haproxy.pid", "-sf", "123", "456", "-x", "/run/sock", "--", "extra.cfg"},
                          "/srv");
    EXPECT_EQ(l.config_paths, (Words{"/etc/haproxy/haproxy.cfg", "/srv/conf.d", "/srv/extra.cfg"}));
    EXPECT_FALSE(l.default_config);
}

TEST(ProxyLaunchTest, HaproxyRelativeFilesFollowDashC) {
    EXPECT_EQ(launch(ProxyKind::haproxy, {"haproxy", "-C", "cfg", "-f", "a.cfg"}, "/srv").config_paths,
              Words{"/srv/cfg/a.cfg"});
    const auto d = launch(ProxyKind::haproxy, {"haproxy", "-db"});
    EXPECT_TRUE(d.default_config);
    EXPECT_EQ(d.config_paths, Words{"/etc/haproxy/haproxy.cfg"});
}

TEST(ProxyLaunchTest, EnvoyNeedsAConfigPathAndSaysSoWithoutOne) {
    EXPECT_EQ(launch(ProxyKind::envoy, {"envoy", "-c", "envoy.yaml"}, "/etc/envoy").config_paths,
              Words{"/etc/envoy/envoy.yaml"});
    EXPECT_EQ(launch(ProxyKind::envoy, {"envoy", "--config-path=/e.json"}).config_paths, Words{"/e.json"});
    auto none = parse_proxy_launch(ProxyKind::envoy, {"envoy", "--log-level", "info"}, "/");
    ASSERT_FALSE(none.has_value());
    EXPECT_EQ(none.error().line(),
              "envoy: started without -c/--config-path, and Envoy has no default configuration file");
    auto inline_only = parse_proxy_launch(ProxyKind::envoy, {"envoy", "--config-yaml", "{}"}, "/");
    ASSERT_FALSE(inline_only.has_value());
    EXPECT_NE(inline_only.error().why.find("--config-yaml"), std::string::npos);
}

TEST(ProxyLaunchTest, AbsolutePathsResolveDotsLexically) {
    EXPECT_EQ(absolute_path("a/./b/../c", "/x/y"), "/x/y/a/c");
    EXPECT_EQ(absolute_path("/etc//nginx/", "/ignored"), "/etc/nginx");
    EXPECT_EQ(absolute_path("../../..", "/a"), "/");
}

}  // namespace
}  // namespace kt
