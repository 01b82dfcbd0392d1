// CgroupManager: the seam between job supervision and the host's cgroups (STYLE.md §6.9).
//
// One cgroup per job, named by job id under a per-node parent (drover/<node>/job_<id> under
// each controller's root), so that several noded on one host (local clusters, tests) never
// touch each other's jobs. drover-stepd creates the job's cgroup, puts the task in it before
// the script runs, kills through it, reads usage and OOM events from it and removes it;
// drover-noded reports what the host supports and removes cgroups of jobs that are gone.
// CgroupFs (cgroup_fs.h) implements it on cgroupfs files; tests use a fake.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"

namespace drover::noded {

struct CgroupLimits {
  std::vector<uint32_t> cpus;  // the job's cpuset; empty = not confined
  uint64_t memory_bytes = 0;   // 0 = no limit
  uint64_t pids_max = 0;       // 0 = no limit
};

struct CgroupUsage {
  bool have_cpu = false;
  uint64_t cpu_ms = 0;      // user + system time of every process the cgroup ever had
  bool have_memory = false;
  uint64_t max_rss_kb = 0;  // peak memory charged to the cgroup
  uint64_t oom_kills = 0;   // processes the kernel killed for the memory limit
  uint64_t mem_failcnt = 0; // times the limit was hit (v1 only; a hint when oom_kills is missing)
};

// What the host offers: which cgroup version drover uses and which of the controllers it
// needs are missing, so that noded can say what it does not enforce instead of pretending.
struct CgroupSupport {
  int version = 0;  // 0 = no usable cgroups, 1 or 2
  std::vector<std::string> controllers;  // the ones drover uses, present
  std::vector<std::string> missing;      // the ones drover would use, absent
  std::string note;                      // why version is 0, or other caveats

  // "v1", "v2 (missing: pids)", "none (no cgroup filesystem at /x)": for logs and drover info.
  std::string Describe() const;
  bool Has(const std::string& controller) const;
};

class CgroupManager {
 public:
  virtual ~CgroupManager() = default;

  virtual CgroupSupport Support() const = 0;
  // Creates this node's parent cgroups: noded tries it at start to learn whether it can
  // confine jobs here at all (a read-only or foreign cgroup tree says no).
  virtual Status Init() = 0;
  // Creates the job's cgroup (and its parents) and applies the limits the host supports.
  // Returns notes on what could not be applied as asked (e.g. cores this host does not have),
  // an error only when the job cannot be confined at all.
  virtual Result<std::vector<std::string>> Create(uint64_t job_id, const CgroupLimits& limits) = 0;
  virtual Status AddProcess(uint64_t job_id, pid_t pid) = 0;
  // The files a process writes "0" into to join the job's cgroup itself (cgroup.procs in each
  // hierarchy), so that a task started with vfork can confine itself before it execs; empty
  // when this manager cannot offer that and the task must be moved with AddProcess instead.
  virtual std::vector<std::string> SelfJoinFiles(uint64_t /*job_id*/) const { return {}; }
  // Every process in the job's cgroup (empty if it does not exist).
  virtual std::vector<pid_t> Processes(uint64_t job_id) const = 0;
  // Sends `sig` to every process in the cgroup; returns how many were signalled.
  virtual size_t Signal(uint64_t job_id, int sig) = 0;
  // SIGKILLs every process without letting any fork in between (cgroup.kill on v2; freeze,
  // kill, thaw on v1; a best-effort signal loop where neither exists).
  virtual Status KillAll(uint64_t job_id) = 0;
  virtual CgroupUsage Usage(uint64_t job_id) const = 0;
  // Removes the job's cgroup; fails (and leaves it) while processes remain.
  virtual Status Remove(uint64_t job_id) = 0;
  // Job ids that have a cgroup under this node's parent.
  virtual std::vector<uint64_t> ListJobs() const = 0;
  // Where the job's cgroup is (the memory controller's on v1), for messages and tests.
  virtual std::string PathFor(uint64_t job_id) const = 0;
};

// Removes the cgroups of jobs not in `running` (killing leftovers first); returns the ids
// removed. noded calls it at start: a job whose stepd is gone must not keep its cgroup.
std::vector<uint64_t> RemoveStaleCgroups(CgroupManager& cgroups, const std::vector<uint64_t>& running);

}  // namespace drover::noded
