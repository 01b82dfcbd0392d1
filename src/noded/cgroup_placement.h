// Where job cgroups go: cgroups.parent, and what `auto` makes of noded's own cgroup.
//
// On cgroup v2 under systemd, drover-noded.service has Delegate=yes and DelegateSubgroup=noded:
// systemd starts noded in <unit>/noded, and the unit's cgroup is noded's to manage. Job cgroups
// then belong inside it (<unit>/jobs/<node>/job_<id>), not beside it, and the unit's cgroup must
// hold no process itself (v2's "no internal processes" rule) so that it can pass cpuset, memory
// and pids down in cgroup.subtree_control; noded lives in the leaf <unit>/noded.
//
// Without the subgroup (systemd < 254 ignores DelegateSubgroup=) noded would have to move itself
// out of the unit's cgroup, and systemd could not start the unit again while jobs run below it:
// it puts the new main process into the unit's cgroup, which the kernel refuses once controllers
// are enabled there. Jobs must outlive a noded restart, so `auto` falls back to the fixed path
// then. A delegated scope (systemd-run --scope -p Delegate=yes) is never restarted by systemd:
// noded moves itself into <scope>/noded.
#pragma once

#include <optional>
#include <string>

#include "common/file_system.h"
#include "noded/cgroup_fs.h"

namespace drover::noded {

inline constexpr const char* kAutoCgroupParent = "auto";
inline constexpr const char* kFixedCgroupParent = "drover";
inline constexpr const char* kNodedLeaf = "noded";

struct CgroupPlacement {
  // Relative to the controller root: job cgroups are <parent>/<node>/job_<id>.
  std::string parent;
  // Relative cgroup noded moves itself into before enabling controllers; "" = stay.
  std::string move_self_to;
  // For the log: why this placement (empty for an explicit path).
  std::string note;
};

// The v2 entry of /proc/self/cgroup ("0::/system.slice/x.service/noded") without the "0::";
// nullopt when there is none (a v1-only host).
std::optional<std::string> ParseOwnCgroupV2(const std::string& proc_self_cgroup);

// `configured` is cgroups.parent: a relative path is used as is; "auto" looks at noded's own v2
// cgroup `own` (`delegated`: systemd marked it so, the trusted.delegate attribute). Pure.
CgroupPlacement PlaceJobCgroups(const std::string& configured, int cgroup_version,
                                const std::optional<std::string>& own, bool delegated);

// PlaceJobCgroups for this process: reads /proc/self/cgroup through `fs` and systemd's
// trusted.delegate attribute of that cgroup under mounts.unified.
CgroupPlacement ResolveCgroupPlacement(const FileSystem& fs, const std::string& configured,
                                       const CgroupMounts& mounts);

// Moves the calling process into <unified>/<placement.move_self_to> (made if missing). A no-op
// when there is nothing to move.
Status MoveSelf(const CgroupMounts& mounts, const CgroupPlacement& placement, pid_t pid);

}  // namespace drover::noded
