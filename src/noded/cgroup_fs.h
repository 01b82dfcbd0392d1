// CgroupFs: CgroupManager on cgroupfs files, v2 (unified) or v1 (one hierarchy per controller).
//
// Why files and not libcgroup for the work itself: libcgroup 2.0.2's create/set calls write
// exactly these files and nothing more, but they find hierarchies by reading /proc/self/mounts
// (so they cannot run against a test tree, STYLE.md §5), and they have nothing for what drover
// needs most — cgroup.kill, the v1 freezer dance, memory.events / memory.oom_control for OOM,
// memory.peak and cpu.stat for usage. For v2 libcgroup adds nothing over direct writes. What it
// does serve is finding where each v1 controller is mounted on an unusual host
// (DiscoverCgroupMounts in cgroup_discover.cc); everything here takes those paths as data, so
// unit tests run it on a temp directory laid out like /sys/fs/cgroup.
#pragma once

#include <map>
#include <string>

#include "noded/cgroup_manager.h"

namespace drover::noded {

struct CgroupMounts {
  int version = 0;                         // 0 = none found
  std::string unified;                     // v2: the cgroup2 mount
  std::map<std::string, std::string> v1;   // v1: controller -> its hierarchy's mount
  std::string note;                        // why nothing was found
};

// The conventional layout under `root` (normally /sys/fs/cgroup): v2 if root itself is a
// cgroup2 mount (has cgroup.controllers), else v1 with each controller in root/<controller>.
CgroupMounts ProbeCgroupRoot(const std::string& root);

class CgroupFs : public CgroupManager {
 public:
  // Job cgroups live at <controller root>/<parent>/<node>/job_<id>; `parent` is a relative
  // path ("drover" by default; local clusters use one of their own).
  CgroupFs(CgroupMounts mounts, std::string parent, std::string node);

  CgroupSupport Support() const override;
  Status Init() override;
  Result<std::vector<std::string>> Create(uint64_t job_id, const CgroupLimits& limits) override;
  Status AddProcess(uint64_t job_id, pid_t pid) override;
  std::vector<pid_t> Processes(uint64_t job_id) const override;
  size_t Signal(uint64_t job_id, int sig) override;
  Status KillAll(uint64_t job_id) override;
  CgroupUsage Usage(uint64_t job_id) const override;
  Status Remove(uint64_t job_id) override;
  std::vector<uint64_t> ListJobs() const override;
  std::string PathFor(uint64_t job_id) const override;
  std::vector<std::string> SelfJoinFiles(uint64_t job_id) const override;

  // Every directory that holds this node's job cgroups (one per hierarchy).
  std::vector<std::string> NodeDirs() const;

 private:
  // The job's directory in each hierarchy drover uses (one on v2).
  std::vector<std::string> JobDirs(uint64_t job_id) const;
  std::string Dir(const std::string& controller, uint64_t job_id) const;  // "" = not present
  Status MakeParents(const std::string& mount, bool cpuset_v1);
  // Create's work; with parents_ready it assumes the parents exist and fails where they do not.
  Result<std::vector<std::string>> CreateJob(uint64_t job_id, const CgroupLimits& limits, bool parents_ready);

  CgroupMounts mounts_;
  std::string relative_;  // <parent>/<node>
  CgroupSupport support_;
};

}  // namespace drover::noded
