// The audit's fixtures are configurations nginx and HAProxy themselves accept (nginx -t,
// haproxy -c), except the rejected-* ones, which nginx refuses as the rule they test says.
// A missing tool skips with its name (scripts/install-deps --tests installs both).
#include <gtest/gtest.h>

#include <filesystem>

#include "support/run_binary.hpp"
#include "support/snippet_check.hpp"
#include "support/temp_dir.hpp"

namespace kt::test {
namespace {

std::vector<std::string> fixtures(const std::string& dir, const std::string& ext) {
    std::vector<std::string> out;
    for (const auto& e : std::filesystem::directory_iterator(source_dir() + "/tests/data/audit/" + dir))
        if (e.is_regular_file() && e.path().extension() == ext) out.push_back(e.path().string());
    std::sort(out.begin(), out.end());
    return out;
}

RunResult nginx_check(const std::string& nginx, const TempDir& d, const std::string& file) {
    return run_program({nginx, "-t", "-q", "-e", "stderr", "-p", d.path(), "-c", file});
}

bool is_rejected(const std::string& path) {
    return std::filesystem::path(path).filename().string().starts_with("rejected-");
}

bool is_stream(const std::string& path) {
    return std::filesystem::path(path).filename() == "stream.conf";
}

TEST(AuditFixturesTest, NginxAcceptsEveryFixtureButTheRejectedOnes) {
    const auto nginx = find_on_path("nginx");
    if (nginx.empty()) GTEST_SKIP() << "nginx is not installed (scripts/install-deps --tests installs it)";
    TempDir d;
    int checked = 0;
    for (const auto& f : fixtures("nginx", ".conf")) {
        if (is_stream(f)) continue;
        const auto r = nginx_check(nginx, d, f);
        if (is_rejected(f))
            EXPECT_NE(r.exit_code, 0) << f << " was accepted";
        else
            EXPECT_EQ(r.exit_code, 0) << f << "\n" << r.err;
        ++checked;
    }
    EXPECT_GE(checked, 9);
}

TEST(AuditFixturesTest, NginxWithTheStreamModuleAcceptsTheStreamFixture) {
    const auto nginx = find_on_path("nginx");
    if (nginx.empty()) GTEST_SKIP() << "nginx is not installed (scripts/install-deps --tests installs it)";
    TempDir d;
    const auto r = nginx_check(nginx, d, source_dir() + "/tests/data/audit/nginx/stream.conf");
    if (r.err.find("unknown directive \"stream\"") != std::string::npos)
        GTEST_SKIP() << "this nginx is built without the stream module (Debian: libnginx-mod-stream, loaded with "
                        "load_module)";
    EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST(AuditFixturesTest, HaproxyAcceptsEveryFixture) {
    const auto haproxy = find_on_path("haproxy");
    if (haproxy.empty()) GTEST_SKIP() << "haproxy is not installed (scripts/install-deps --tests installs it)";
    int checked = 0;
    for (const auto& f : fixtures("haproxy", ".cfg")) {
        const auto r = run_program({haproxy, "-c", "-f", f});
        EXPECT_EQ(r.exit_code, 0) << f << "\n" << r.err;
        EXPECT_EQ(r.err.find("[ALERT]"), std::string::npos) << f << "\n" << r.err;
        ++checked;
    }
    EXPECT_GE(checked, 6);
}

// HAProxy's own warnings agree with A11: the keywords the audit calls ignored are the ones it ignores.
TEST(AuditFixturesTest, HaproxyWarnsWhereA11Says) {
    const auto haproxy = find_on_path("haproxy");
    if (haproxy.empty()) GTEST_SKIP() << "haproxy is not installed (scripts/install-deps --tests installs it)";
    const auto r = run_program({haproxy, "-c", "-f", source_dir() + "/tests/data/audit/haproxy/a11.cfg"});
    EXPECT_NE(r.err.find("a11.cfg:10] : srvtcpka-idle will be ignored"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("a11.cfg:15] : clitcpka-cnt will be ignored"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace kt::test
