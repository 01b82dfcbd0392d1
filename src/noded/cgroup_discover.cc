#include "noded/cgroup_discover.h"

#include <libcgroup.h>
#include <unistd.h>

#include <cstdlib>

namespace drover::noded {

CgroupMounts DiscoverCgroupMounts(const std::string& root) {
  if (!root.empty()) return ProbeCgroupRoot(root);
  CgroupMounts probed = ProbeCgroupRoot("/sys/fs/cgroup");
  // A v2 host needs no discovery: one mount, and drover finds it by its cgroup.controllers.
  if (probed.version == 2 || cgroup_init() != 0) return probed;
  CgroupMounts m;
  for (const char* c : {"cpuset", "memory", "pids", "cpuacct", "freezer"}) {
    char* path = nullptr;
    if (cgroup_get_subsys_mount_point(c, &path) == 0 && path != nullptr) {
      const std::string dir = path;
      // Only a v1 hierarchy (a cgroup2 mount has cgroup.controllers and is handled as v2).
      if (access((dir + "/cgroup.procs").c_str(), F_OK) == 0 &&
          access((dir + "/cgroup.controllers").c_str(), F_OK) != 0) {
        m.v1[c] = dir;
      }
    }
    free(path);
  }
  if (m.v1.empty()) return probed;
  m.version = 1;
  return m;
}

}  // namespace drover::noded
