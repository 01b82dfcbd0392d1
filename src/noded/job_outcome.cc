#include "noded/job_outcome.h"

#include <signal.h>
#include <sys/wait.h>

#include <string>

namespace drover::noded {
namespace {

JobResult Make(JobState state, int32_t code, int32_t signal, std::string reason) {
  JobResult r;
  r.state = state;
  r.exit_code = code;
  r.exit_signal = signal;
  r.reason = std::move(reason);
  return r;
}

}  // namespace

JobResult DecideOutcome(EndCause cause, int wait_status, const CgroupUsage& usage, uint64_t memory_limit_bytes) {
  JobResult r;
  switch (cause) {
    case EndCause::kCancelled:
      return Make(JobState::kCancelled, 0, SIGTERM, "cancelled");
    case EndCause::kTimeout:
      return Make(JobState::kTimeout, 0, SIGTERM, "time limit reached");
    case EndCause::kExited:
      break;
  }
  if (WIFEXITED(wait_status)) {
    const int code = WEXITSTATUS(wait_status);
    r = Make(code == 0 ? JobState::kCompleted : JobState::kFailed, code, 0, "");
  } else if (WIFSIGNALED(wait_status)) {
    r = Make(JobState::kFailed, 0, WTERMSIG(wait_status), "killed by signal");
  }
  bool oom = usage.oom_kills > 0;
  if (!oom && memory_limit_bytes != 0 && usage.mem_failcnt > 0 && WIFSIGNALED(wait_status) &&
      WTERMSIG(wait_status) == SIGKILL) {
    oom = usage.max_rss_kb * 1024 >= memory_limit_bytes / 100 * 95;
  }
  if (oom) {
    r.state = JobState::kOutOfMemory;
    r.reason = usage.oom_kills > 0
                   ? "OutOfMemory: " + std::to_string(usage.oom_kills) + " process(es) killed at the job's memory limit"
                   : "OutOfMemory: killed at the job's memory limit";
  }
  return r;
}

JobResult NodeFailureResult(const std::string& why) {
  JobResult r;
  r.state = JobState::kFailed;
  r.exit_code = 1;
  r.reason = why;
  r.drain_reason = why;
  r.requeue = true;
  return r;
}

void FillUsage(JobResult& result, const CgroupUsage& usage, uint64_t rusage_cpu_ms, uint64_t rusage_max_rss_kb) {
  result.cpu_ms = usage.have_cpu ? usage.cpu_ms : rusage_cpu_ms;
  result.max_rss_kb = usage.have_memory ? usage.max_rss_kb : rusage_max_rss_kb;
}

}  // namespace drover::noded
