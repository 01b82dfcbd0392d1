#include "noded/process_tree.h"

#include <dirent.h>
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

namespace drover::noded {
namespace {

// The parent pid from /proc/<pid>/stat; the command name may contain spaces and parentheses,
// so parse after the last ')'.
pid_t ParentOf(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  if (!std::getline(in, stat)) return -1;
  const auto close = stat.rfind(')');
  if (close == std::string::npos) return -1;
  std::istringstream rest(stat.substr(close + 1));
  char state = 0;
  pid_t ppid = -1;
  rest >> state >> ppid;
  return ppid;
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
