#include "sys/dir_watch.hpp"

#include <dirent.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "sys/files.hpp"

namespace kt::sys {

namespace {
constexpr std::uint32_t k_tree_mask = IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_ONLYDIR | IN_DONT_FOLLOW;
constexpr std::uint32_t k_file_mask = IN_CREATE | IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_ATTRIB;
}  // namespace

Result<DirWatch> DirWatch::open() {
    UniqueFd fd(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
    if (!fd) return fail("inotify", errno_text(errno));
    return DirWatch(std::move(fd));
}

void DirWatch::add_tree(const std::string& dir, std::vector<std::string>* made) {
    std::vector<std::string> pending{dir};
    while (!pending.empty()) {
        const std::string d = std::move(pending.back());
        pending.pop_back();
        const int wd = ::inotify_add_watch(m_fd.get(), d.c_str(), k_tree_mask);
        if (wd < 0) {
            // Gone meanwhile (ENOENT), or over the watch limit: counted for the caller to report.
            if (errno == ENOSPC) ++m_unwatched;
            continue;
        }
        m_tree[wd] = d;
        // Read after the watch is in place: what is made from now on is an event, what was
        // made before is seen here.
        DIR* h = ::opendir(d.c_str());
        if (!h) continue;
        while (const dirent* e = ::readdir(h)) {
            if (e->d_type != DT_DIR || e->d_name[0] == '.') continue;
            const std::string child = d + "/" + e->d_name;
            if (made) made->push_back(child);
            pending.push_back(child);
        }
        ::closedir(h);
    }
}

Result<std::size_t> DirWatch::watch_tree(const std::string& root) {
    if (::inotify_add_watch(m_fd.get(), root.c_str(), k_tree_mask) < 0)
        return fail("inotify on " + root, errno_text(errno));
    add_tree(root, nullptr);
    return m_tree.size();
}

Result<void> DirWatch::watch_files_in(const std::string& dir) {
    const int wd = ::inotify_add_watch(m_fd.get(), dir.c_str(), k_file_mask);
    if (wd < 0) return fail("inotify on " + dir, errno_text(errno));
    m_files[wd] = dir;
    return {};
}

DirWatch::Events DirWatch::read_events() {
    Events out;
    alignas(inotify_event) char buf[64 * 1024];
    for (;;) {
        const ssize_t n = ::read(m_fd.get(), buf, sizeof buf);
        if (n <= 0) break;
        for (ssize_t off = 0; off < n;) {
            const auto* e = reinterpret_cast<const inotify_event*>(buf + off);
            off += static_cast<ssize_t>(sizeof(inotify_event) + e->len);
            if (e->mask & IN_Q_OVERFLOW) {
                out.tree_changed = true;
                out.tree_lost = true;
                for (const auto& [wd, dir] : m_files) out.files_in.push_back(dir);
                continue;
            }
            if (auto f = m_files.find(e->wd); f != m_files.end()) {
                if (std::find(out.files_in.begin(), out.files_in.end(), f->second) == out.files_in.end())
                    out.files_in.push_back(f->second);
                continue;
            }
            const auto dir = m_tree.find(e->wd);
            if (dir == m_tree.end()) continue;
            if (e->mask & IN_IGNORED) {
                m_tree.erase(dir);
                continue;
            }
            if (!(e->mask & IN_ISDIR)) continue;
            out.tree_changed = true;
            if (e->mask & (IN_DELETE | IN_MOVED_FROM)) out.tree_lost = true;
            if (e->mask & (IN_CREATE | IN_MOVED_TO)) {
                const std::string child = dir->second + "/" + e->name;
                out.made.push_back(child);
                add_tree(child, &out.made);
            }
        }
    }
    return out;
}

}  // namespace kt::sys
