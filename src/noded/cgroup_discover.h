// Where the host's cgroup hierarchies are mounted, for the real daemons.
#pragma once

#include <string>

#include "noded/cgroup_fs.h"

namespace drover::noded {

// `root` given (config cgroups.root): the conventional layout under it (ProbeCgroupRoot).
// Empty: asks libcgroup, which reads the mount table, so v1 controllers mounted somewhere
// unusual (co-mounted "cpu,cpuacct", a distribution's own paths) are still found; falls back
// to /sys/fs/cgroup when libcgroup finds nothing.
CgroupMounts DiscoverCgroupMounts(const std::string& root);

}  // namespace drover::noded
