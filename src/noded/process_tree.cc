#include "noded/process_tree.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>

namespace drover::noded {
namespace {

// The parent pid from /proc/<pid>/stat; the command name may contain spaces and parentheses,
// so parse after the last ')'.
pid_t ParentOf(pid_t pid) {
  // read(2), not an ifstream: this runs in batch supervisors, which use no streams.
  char path[32];
  std::snprintf(path, sizeof path, "/proc/%d/stat", static_cast<int>(pid));
  const int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  char buf[1024];
  const ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return -1;
  buf[n] = '\0';
  const char* close_paren = std::strrchr(buf, ')');
  if (close_paren == nullptr) return -1;
  // ") S PPID ..."
  const char* p = close_paren + 1;
  while (*p == ' ') ++p;
  if (*p == '\0') return -1;
  ++p;  // the state
  char* end = nullptr;
  const long ppid = std::strtol(p, &end, 10);
  if (end == p) return -1;
  return static_cast<pid_t>(ppid);
}

}  // namespace

std::vector<pid_t> Descendants(pid_t root) {
  std::multimap<pid_t, pid_t> children;
  DIR* dir = opendir("/proc");
  if (dir == nullptr) return {};
  while (dirent* e = readdir(dir)) {
    char* end = nullptr;
    const long pid = std::strtol(e->d_name, &end, 10);
    if (end == e->d_name || *end != '\0') continue;
    const pid_t ppid = ParentOf(static_cast<pid_t>(pid));
    if (ppid > 0) children.emplace(ppid, static_cast<pid_t>(pid));
  }
  closedir(dir);
  std::vector<pid_t> out;
  std::vector<pid_t> frontier{root};
  while (!frontier.empty()) {
    const pid_t p = frontier.back();
    frontier.pop_back();
    auto [lo, hi] = children.equal_range(p);
    for (auto it = lo; it != hi; ++it) {
      out.push_back(it->second);
      frontier.push_back(it->second);
    }
  }
  return out;
}

size_t SignalDescendants(pid_t root, int sig) {
  size_t n = 0;
  for (pid_t p : Descendants(root)) {
    if (kill(p, sig) == 0) ++n;
  }
  return n;
}

}  // namespace drover::noded
