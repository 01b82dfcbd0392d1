// drover-stepd's command line: noded builds it (ToArgs), stepd parses it. Both sides in one
// place, so a new setting cannot be passed by one and ignored by the other.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/config.h"
#include "common/status.h"
#include "noded/cgroup_manager.h"

namespace drover::noded {

struct StepdOptions {
  std::string job_dir;
  std::string spool;
  std::string node;
  uint32_t kill_wait_s = 10;
  bool cgroups = true;
  std::string cgroup_root;  // "" = discover
  // v1 hierarchies (controller -> mount) as noded found them at its start: stepd then skips
  // the discovery, whose libcgroup cgroup_init() cost about 4 ms of CPU per job. Empty: discover.
  std::map<std::string, std::string> cgroup_v1;
  std::string cgroup_parent = "drover";
  uint64_t pids_limit = 0;
  std::string prolog;
  std::string epilog;
  uint32_t prolog_timeout_s = 60;

  // The settings that come from the cluster configuration.
  static StepdOptions FromConfig(const Config& config, const std::string& node, const std::string& spool);
  std::vector<std::string> ToArgs() const;  // without argv[0]
};

Result<StepdOptions> ParseStepdArgs(const std::vector<std::string>& args);

// The host's cgroups as these options ask for them (the v1 mounts noded handed over, else the
// conventional layout under cgroup_root or /sys/fs/cgroup): null when disabled.
std::unique_ptr<CgroupManager> MakeCgroupManager(const StepdOptions& options);

}  // namespace drover::noded
