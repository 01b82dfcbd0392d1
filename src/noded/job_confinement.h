// What drover-stepd does around a job's processes on its node: the prolog, the job's cgroup
// (cpuset, memory and pids limits, kill, usage, OOM), the epilog. Kept out of stepd_main.cc so
// that every kind of stepd (batch script, srun step) confines its processes the same way.
//
// Order: Prepare (prolog, cgroup) -> fork the task, which waits -> Adopt(task) -> the task runs
// -> the caller ends it (Signal/KillAll/Empty) -> Finish (usage, OOM, cgroup removed, epilog).
#pragma once

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "noded/batch_plan.h"
#include "noded/cgroup_manager.h"
#include "noded/job_outcome.h"
#include "noded/stepd_options.h"

namespace drover::noded {

class JobConfinement {
 public:
  // `cgroups` may be null (disabled by config): then nothing is confined.
  JobConfinement(const StepdOptions& options, const BatchPlan& plan,
                 std::unique_ptr<CgroupManager> cgroups);

  // Before the task: runs the prolog and sets up the cgroup. A value is the result to record
  // instead of running the job: the node failed it (drain, requeue). Notes go to stderr (the
  // job's stepd.log).
  std::optional<JobResult> Prepare();
  // Moves the task (forked, not yet running the user's code) into the job's cgroup.
  Status Adopt(pid_t pid);
  // True when a task can confine itself (SelfJoinFiles) or there is nothing to confine it in:
  // then it may be started with vfork, and Adopt is not needed.
  bool TaskCanJoinItself() const;
  // The files the task writes "0" into to join the job's cgroup (empty without cgroups).
  std::vector<std::string> SelfJoinFiles() const;
  // Processes in the job's cgroup: signalled, counted, killed, beside the process tree.
  size_t Signal(int sig);
  bool Empty() const;
  void KillAll();
  // After the task ended and leftovers were killed: the outcome with usage, the cgroup gone,
  // the epilog run (a failing epilog drains the node but leaves the job's outcome alone).
  JobResult Finish(EndCause cause, int wait_status);
  // Removes the job's cgroup (killing what is left in it) without running the epilog: for a
  // job that never ran.
  void RemoveCgroup();

 private:
  const StepdOptions& options_;
  const BatchPlan& plan_;
  std::unique_ptr<CgroupManager> cgroups_;  // null once known unusable
  uint64_t memory_limit_bytes_ = 0;
};

}  // namespace drover::noded
