// The rendered snippets go through the real tools of their targets: nginx -t, haproxy -c,
// systemd-analyze verify, sysctl -p in a scratch network namespace, postgres -C and libpq's
// service file parser. Each test also breaks one directive in a copy and sees the tool refuse
// it, so a checker that accepts anything cannot pass. A missing tool skips with its name
// (scripts/install-deps --tests installs nginx-light, haproxy, systemd and procps; PostgreSQL is
// used where it happens to be installed).
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

#include "support/netns.hpp"
#include "support/run_binary.hpp"
#include "support/snippet_check.hpp"
#include "support/temp_dir.hpp"

namespace kt::test {
namespace {

#define KT_REQUIRE_TOOL(path_var, name, where_from)  \
    const std::string path_var = find_on_path(name); \
    if (path_var.empty()) GTEST_SKIP() << name << " is not installed (" << where_from << ")"

constexpr const char* k_install_deps = "scripts/install-deps --tests installs it";
constexpr const char* k_optional = "not a dependency; checked where installed";

const std::vector<std::string> k_sides = {"both", "downstream", "upstream"};

std::string only(const std::vector<RenderedSnippet>& snippets, const std::string& syntax) {
    for (const auto& s : snippets)
        if (s.syntax == syntax) return s.text;
    ADD_FAILURE() << "no " << syntax << " snippet";
    return {};
}

// nginx -t on a minimal main configuration that includes the snippet inside http {}.
RunResult nginx_check(const std::string& nginx, const TempDir& d, const std::string& snippet) {
    const auto file = d.write("snippet.conf", snippet);
    const auto main =
        d.write("nginx.conf", "pid " + d.path() + "/nginx.pid;\nerror_log stderr;\nevents {}\nhttp {\n" +
                                  "    client_body_temp_path " + d.path() + "/body;\n    proxy_temp_path " + d.path() +
                                  "/proxy;\n    access_log off;\n    include " + file + ";\n}\n");
    return run_program({nginx, "-t", "-q", "-e", "stderr", "-p", d.path(), "-c", main});
}

TEST(ProfileRenderValidateTest, NginxAcceptsEverySnippet) {
    KT_REQUIRE_TOOL(nginx, "nginx", k_install_deps);
    TempDir d;
    for (const auto& profile : validation_profiles(d))
        for (const auto& side : k_sides) {
            const auto text = only(render_snippets(profile, "nginx", side), "nginx");
            const auto r = nginx_check(nginx, d, text);
            EXPECT_EQ(r.exit_code, 0) << profile << " " << side << "\n" << text << r.err;
        }
    const auto text = only(render_snippets(source_dir() + "/profiles/aws-nlb.json", "nginx"), "nginx");
    const auto broken = nginx_check(nginx, d, break_value(text, "so_keepalive=", "soon"));
    EXPECT_NE(broken.exit_code, 0);
    EXPECT_NE(broken.err.find("invalid so_keepalive value"), std::string::npos) << broken.err;
}

// haproxy -c: valid, with no warning other than the timeouts the snippet leaves to the user.
void expect_haproxy_accepts(const RunResult& r, const std::string& what) {
    EXPECT_EQ(r.exit_code, 0) << what << r.err;
    EXPECT_EQ(r.err.find("[ALERT]"), std::string::npos) << what << r.err;
    std::size_t at = 0;
    while ((at = r.err.find("[WARNING]", at)) != std::string::npos) {
        const auto line = r.err.substr(at, r.err.find('\n', at) - at);
        EXPECT_NE(line.find("missing timeouts"), std::string::npos) << what << line;
        ++at;
    }
}

TEST(ProfileRenderValidateTest, HaproxyAcceptsEverySnippet) {
    KT_REQUIRE_TOOL(haproxy, "haproxy", k_install_deps);
    TempDir d;
    for (const auto& profile : validation_profiles(d))
        for (const auto& side : k_sides) {
            const auto text = only(render_snippets(profile, "haproxy", side), "haproxy");
            expect_haproxy_accepts(run_program({haproxy, "-c", "-f", d.write("haproxy.cfg", text)}),
                                   profile + " " + side + "\n" + text);
        }
    const auto text = only(render_snippets(source_dir() + "/profiles/aws-nlb.json", "haproxy"), "haproxy");
    const auto broken =
        run_program({haproxy, "-c", "-f", d.write("broken.cfg", break_value(text, "clitcpka-idle ", "soon"))});
    EXPECT_NE(broken.exit_code, 0);
    EXPECT_NE(broken.err.find("clitcpka-idle"), std::string::npos) << broken.err;
}

// systemd-analyze verify on a socket unit made of a ListenStream= and the drop-in: exit 0 and
// nothing said (it only warns about a value it cannot parse, and ignores it).
RunResult systemd_check(const std::string& analyze, const TempDir& d, const std::string& drop_in) {
    d.write("kt-render.service", "[Unit]\nDescription=keepalive-tune render check\n\n[Service]\nExecStart=/bin/true\n");
    const auto unit = d.write("kt-render.socket",
                              "[Unit]\nDescription=keepalive-tune render check\n\n[Socket]\n"
                              "ListenStream=127.0.0.1:18080\n\n" +
                                  drop_in);
    return run_program({analyze, "verify", "--man=no", unit});
}

TEST(ProfileRenderValidateTest, SystemdVerifiesTheSocketDropIn) {
    KT_REQUIRE_TOOL(analyze, "systemd-analyze", k_install_deps);
    TempDir d;
    for (const auto& profile : validation_profiles(d)) {
        const auto text = only(render_snippets(profile, "systemd-socket", "downstream"), "systemd");
        const auto r = systemd_check(analyze, d, text);
        EXPECT_EQ(r.exit_code, 0) << profile << r.err;
        EXPECT_EQ(r.out + r.err, "") << profile << "\n" << text;
    }
    const auto text = only(render_snippets(source_dir() + "/profiles/aws-nlb.json", "systemd-socket"), "systemd");
    const auto broken = systemd_check(analyze, d, break_value(text, "KeepAliveTimeSec=", "soon"));
    EXPECT_NE(broken.out + broken.err, "");
}

TEST(ProfileRenderValidateTest, SysctlLoadsTheFileInAScratchNamespace) {
    KT_REQUIRE_KERNEL_TESTS();
    KT_REQUIRE_TOOL(sysctl, "sysctl", k_install_deps);
    TempDir d;
    TestNetns ns;
    ASSERT_TRUE(ns.ok());
    // sysctl.d itself, and the part nginx's upstream side needs.
    for (const auto& target : {"sysctl.d", "nginx"}) {
        const auto text = only(render_snippets(source_dir() + "/profiles/aws-nlb.json", target), "sysctl");
        const auto file = d.write("60-keepalive-tune.conf", text);
        const auto out = ns.exec(sysctl + " -p " + file + " 2>&1; echo status=$?");
        EXPECT_NE(out.find("status=0\n"), std::string::npos) << target << "\n" << out;
        EXPECT_EQ(ns.exec(sysctl + " -n net.ipv4.tcp_keepalive_time net.ipv4.tcp_keepalive_intvl "
                                   "net.ipv4.tcp_keepalive_probes"),
                  "240\n30\n4\n");
        ns.exec(sysctl + " -w net.ipv4.tcp_keepalive_time=7200 >/dev/null");
    }
    const auto text = only(render_snippets(source_dir() + "/profiles/aws-nlb.json", "sysctl.d"), "sysctl");
    const auto broken = d.write("broken.conf", break_value(text, "net.ipv4.tcp_keepalive_time = ", "soon"));
    EXPECT_EQ(ns.exec(sysctl + " -p " + broken + " >/dev/null 2>&1; echo status=$?").find("status=0"),
              std::string::npos);
    EXPECT_EQ(ns.exec(sysctl + " -n net.ipv4.tcp_keepalive_time"), "7200\n");
}

// postgres -C reads the configuration (the snippet, included from a minimal main file) and
// prints a parameter's value; it refuses to run as root.
RunResult postgres_show(const std::string& postgres, const TempDir& d, const std::string& snippet,
                        const std::string& parameter) {
    std::filesystem::create_directories(d.path() + "/data");
    const auto file = d.write("keepalive.conf", snippet);
    const auto main = d.write("postgresql.conf", "data_directory = '" + d.path() +
                                                     "/data'\nhba_file = '/dev/null'\n"
                                                     "ident_file = '/dev/null'\ninclude '" +
                                                     file + "'\n");
    chmod(d.path().c_str(), 0755);
    return run_program(as_unprivileged({postgres, "--config-file=" + main, "-C", parameter}));
}

TEST(ProfileRenderValidateTest, PostgresReadsTheServerParameters) {
    KT_REQUIRE_TOOL(postgres, "postgres", k_optional);
    TempDir d;
    const auto text = only(render_snippets(source_dir() + "/profiles/aws-nlb.json", "postgresql"), "postgresql");
    const std::vector<std::pair<std::string, std::string>> expected = {{"tcp_keepalives_idle", "240\n"},
                                                                       {"tcp_keepalives_interval", "30\n"},
                                                                       {"tcp_keepalives_count", "4\n"},
                                                                       {"tcp_user_timeout", "360000\n"}};
    for (const auto& [parameter, value] : expected) {
        const auto r = postgres_show(postgres, d, text, parameter);
        EXPECT_EQ(r.exit_code, 0) << parameter << r.err;
        EXPECT_EQ(r.out, value) << parameter << r.err;
    }
    for (const auto& profile : validation_profiles(d)) {
        const auto other = only(render_snippets(profile, "postgresql"), "postgresql");
        EXPECT_EQ(postgres_show(postgres, d, other, "tcp_keepalives_idle").exit_code, 0) << profile << other;
    }
    const auto broken =
        postgres_show(postgres, d, break_value(text, "tcp_keepalives_idle = ", "soon"), "tcp_keepalives_idle");
    EXPECT_NE(broken.exit_code, 0);
    EXPECT_NE(broken.err.find("tcp_keepalives_idle"), std::string::npos) << broken.err;
}

// pg_isready reads the service file and tries to connect: exit 3 ("no attempt") when a
// parameter is unknown, 2 when it tried and found nobody on 127.0.0.1:1.
TEST(ProfileRenderValidateTest, LibpqAcceptsTheServiceFile) {
    KT_REQUIRE_TOOL(postgres, "postgres", k_optional);
    const auto isready = std::filesystem::canonical(postgres).parent_path() / "pg_isready";
    if (!std::filesystem::exists(isready)) GTEST_SKIP() << "no pg_isready beside " << postgres;
    TempDir d;
    const auto check = [&](const std::string& text) {
        const auto file = d.write("pg_service.conf", text);
        return run_program({"/usr/bin/env", "PGSERVICEFILE=" + file, isready.string(), "-d", "service=db", "-h",
                            "127.0.0.1", "-p", "1", "-t", "2"});
    };
    for (const auto& profile : validation_profiles(d)) {
        const auto text = only(render_snippets(profile, "libpq"), "pg_service");
        const auto r = check(text);
        EXPECT_EQ(r.exit_code, 2) << profile << "\n" << text << r.out << r.err;
    }
    const auto text = only(render_snippets(source_dir() + "/profiles/aws-nlb.json", "libpq"), "pg_service");
    std::string misspelt = text;
    misspelt.replace(misspelt.find("\nkeepalives_idle="), 17, "\nkeepalives_idel=");
    EXPECT_EQ(check(misspelt).exit_code, 3);
}

}  // namespace
}  // namespace kt::test
