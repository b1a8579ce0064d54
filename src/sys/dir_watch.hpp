// inotify for the agent: directories made and removed anywhere under the cgroup2 root (each new
// directory watched as it appears), and files written, renamed or swapped in the policy's
// directory (a Kubernetes ConfigMap swaps its `..data` symlink).
#pragma once

#include <string>
#include <unordered_map>
#include <vector>

#include "core/text/error.hpp"
#include "sys/unique_fd.hpp"

namespace kt::sys {

class DirWatch {
public:
    static Result<DirWatch> open();
    int fd() const { return m_fd.get(); }

    // Watches `root` and every directory below it for directories made and removed. Returns
    // how many directories are watched.
    Result<std::size_t> watch_tree(const std::string& root);
    // Watches `dir` for files made, written, moved in or out and removed.
    Result<void> watch_files_in(const std::string& dir);

    struct Events {
        std::vector<std::string> made;        // directories made under a watched tree
        bool tree_changed = false;            // a directory made or removed, or events were lost
        bool tree_lost = false;               // a directory removed or moved away, or events lost
        std::vector<std::string> files_in;    // the watch_files_in directories where something changed
    };
    // Drains what is queued without blocking; new directories (and what was made in them
    // before their watch was added) are watched from here on.
    Events read_events();
    std::size_t watched() const { return m_tree.size(); }
    // Directories that could not be watched (ENOSPC: fs.inotify.max_user_watches), since start.
    std::size_t unwatched() const { return m_unwatched; }

private:
    explicit DirWatch(UniqueFd fd) : m_fd(std::move(fd)) {}
    void add_tree(const std::string& dir, std::vector<std::string>* made);
    UniqueFd m_fd;
    std::unordered_map<int, std::string> m_tree;  // watch descriptor -> directory
    std::unordered_map<int, std::string> m_files;
    std::size_t m_unwatched = 0;
};

}  // namespace kt::sys
