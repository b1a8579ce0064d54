// A proxy process as a fake /proc lays it out, and its files read through its own root.
#include "sys/proxy_process.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include "support/temp_dir.hpp"

namespace kt::sys {
namespace {

using namespace std::string_literals;

// PID/comm, cmdline (NUL-separated), status, and cwd, exe and root links, as the kernel has them.
void fake_process(const test::TempDir& proc, int pid, int ppid, const std::string& comm, const std::string& cmdline,
                  const std::string& root) {
    const std::string dir = proc.path() + "/" + std::to_string(pid);
    std::filesystem::create_directories(dir);
    proc.write(std::to_string(pid) + "/comm", comm + "\n");
    proc.write(std::to_string(pid) + "/cmdline", cmdline);
    proc.write(std::to_string(pid) + "/status", "Name:\t" + comm + "\nPPid:\t" + std::to_string(ppid) + "\n");
    std::filesystem::create_symlink("/srv/app", dir + "/cwd");
    std::filesystem::create_symlink("/usr/sbin/" + comm, dir + "/exe");
    std::filesystem::create_symlink(root, dir + "/root");
}

TEST(ProxyProcessTest, ReadsCommandLineWorkingDirectoryParentAndRoot) {
    test::TempDir proc, root;
    fake_process(proc, 100, 1, "haproxy", "haproxy\0-f\0/etc/h.cfg\0"s, root.path());
    auto f = read_process_facts(proc.path(), 100);
    ASSERT_TRUE(f.has_value()) << f.error().line();
    EXPECT_EQ(f->argv, (std::vector<std::string>{"haproxy", "-f", "/etc/h.cfg"}));
    EXPECT_EQ(f->comm, "haproxy");
    EXPECT_EQ(f->exe, "/usr/sbin/haproxy");
    EXPECT_EQ(f->cwd, "/srv/app");
    EXPECT_EQ(f->ppid, 1);
    EXPECT_EQ(f->root, proc.path() + "/100/root");
}

TEST(ProxyProcessTest, ARetitledNginxMasterKeepsOneWordAndDropsThePadding) {
    test::TempDir proc, root;
    fake_process(proc, 100, 1, "nginx", "nginx: master process nginx -c /a.conf\0\0\0\0"s, root.path());
    auto f = read_process_facts(proc.path(), 100);
    ASSERT_TRUE(f.has_value());
    EXPECT_EQ(f->argv, std::vector<std::string>{"nginx: master process nginx -c /a.conf"});
}

TEST(ProxyProcessTest, AMissingPidIsAnErrorNamingIt) {
    test::TempDir proc;
    auto f = read_process_facts(proc.path(), 4242);
    ASSERT_FALSE(f.has_value());
    EXPECT_EQ(f.error().line(), "--pid 4242: no such process");
}

TEST(ProxyProcessTest, ChildrenAndGrandchildrenAreFoundByParent) {
    test::TempDir proc, root;
    fake_process(proc, 100, 1, "nginx", "nginx\0"s, root.path());
    fake_process(proc, 101, 100, "nginx", "nginx: worker process\0"s, root.path());
    fake_process(proc, 102, 100, "nginx", "nginx: worker process\0"s, root.path());
    fake_process(proc, 200, 101, "sh", "sh\0"s, root.path());
    fake_process(proc, 300, 1, "other", "other\0"s, root.path());
    EXPECT_EQ(descendants_of(proc.path(), 100), (std::vector<std::int32_t>{101, 102, 200}));
    EXPECT_TRUE(descendants_of(proc.path(), 300).empty());
}

TEST(ProxyProcessTest, ConfigFilesAreReadUnderTheProcessRootAndNamedAsItSeesThem) {
    test::TempDir root;
    root.write("etc/haproxy/haproxy.cfg", "global\n");
    root.write("etc/haproxy/conf.d/20-b.cfg", "frontend b\n");
    root.write("etc/haproxy/conf.d/10-a.cfg", "frontend a\n");
    root.write("etc/haproxy/conf.d/notes.txt", "not read\n");
    auto files = read_config_files_under(root.path(), {"/etc/haproxy/haproxy.cfg", "/etc/haproxy/conf.d"});
    ASSERT_TRUE(files.has_value()) << files.error().line();
    ASSERT_EQ(files->size(), 3u);
    EXPECT_EQ((*files)[0].path, "/etc/haproxy/haproxy.cfg");
    EXPECT_EQ((*files)[1].path, "/etc/haproxy/conf.d/10-a.cfg");
    EXPECT_EQ((*files)[2].text, "frontend b\n");
    auto missing = read_config_files_under(root.path(), {"/etc/nginx/nginx.conf"});
    ASSERT_FALSE(missing.has_value());
    EXPECT_EQ(missing.error().what, "/etc/nginx/nginx.conf");
    EXPECT_NE(missing.error().why.find("read through " + root.path()), std::string::npos);
}

}  // namespace
}  // namespace kt::sys
