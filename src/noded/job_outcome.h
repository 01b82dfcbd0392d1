// How a job ended, decided from what stepd saw: pure, unit-tested.
#pragma once

#include <cstdint>
#include <string>

#include "noded/cgroup_manager.h"
#include "noded/spool.h"

namespace drover::noded {

enum class EndCause { kExited, kCancelled, kTimeout };

// `wait_status` is the batch script's (waitpid) status, used when cause is kExited.
// A job that the kernel OOM-killed a process of ends OUT_OF_MEMORY, as in Slurm, whatever its
// script then returned: on v2 and v1 (Linux >= 4.13) that is the cgroup's oom_kill count; on
// an older v1 kernel, a script killed by SIGKILL after the cgroup hit its limit with its peak
// at the limit. Cancel and timeout win over OOM (they were asked for).
JobResult DecideOutcome(EndCause cause, int wait_status, const CgroupUsage& usage, uint64_t memory_limit_bytes);

// The node, not the job, failed before the job ran (prolog, cgroup setup): the node is to be
// drained with `why` and the job requeued.
JobResult NodeFailureResult(const std::string& why);

// Usage for the record: the cgroup's figures where it has them, else `rusage_*` (stepd's
// getrusage(RUSAGE_CHILDREN), which sees every reaped descendant since stepd is a subreaper).
void FillUsage(JobResult& result, const CgroupUsage& usage, uint64_t rusage_cpu_ms, uint64_t rusage_max_rss_kb);

}  // namespace drover::noded
