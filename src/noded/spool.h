// The node's spool directory: where noded hands a job to drover-stepd and stepd leaves the
// outcome, so that either process can die and restart without losing the job.
//
//   <spool>/job_<id>/           root-only: launch.pb (the LaunchJobRequest), plan (what the
//                               supervisor needs, batch_plan.h), stepd.pid, task.pid, result,
//                               stepd.log
//   <spool>/scripts/job_<id>    the batch script, owned by the job's user (mode 0500); the
//                               directory is 0711 so users can run, but not list, scripts.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/job.h"
#include "common/status.h"

namespace drover::noded {

std::string JobDir(const std::string& spool, uint64_t job_id);
std::string ScriptPath(const std::string& spool, uint64_t job_id);

// Job ids with a job directory under `spool`, ascending.
std::vector<uint64_t> ListJobDirs(const std::string& spool);

struct JobResult {
  JobState state = JobState::kFailed;
  int32_t exit_code = 0;
  int32_t exit_signal = 0;
  std::string reason;
  // Usage (cgroup, else getrusage of stepd's children); 0 = not measured.
  uint64_t cpu_ms = 0;
  uint64_t max_rss_kb = 0;
  // The node, not the job, failed (prolog, epilog, cgroup setup): drain it with this reason.
  std::string drain_reason;
  bool requeue = false;  // the job never started: run it again elsewhere
};

std::string EncodeResult(const JobResult& result);
Result<JobResult> DecodeResult(const std::string& text);

// How far a spool file must survive. A file written and renamed is whole and visible to every
// process at once, whoever is killed afterwards (noded, stepd: SIGKILL loses nothing in the
// page cache); only a crash of the host itself can lose it. kHostCrash adds an fsync before
// the rename for what must outlive the host: the job's outcome (`result`). Everything else in a
// job's directory describes processes that a host crash kills anyway, and an fsync per file
// cost the node daemon 5-40 ms per launch (bench/README.md).
enum class Survives { kProcessCrash, kHostCrash };

// Writes via a temporary file and rename, so a reader sees the old or the new content, never
// a torn one, even if the writer is killed.
Status WriteFileAtomic(const std::string& path, const std::string& content, unsigned mode,
                       Survives survives = Survives::kHostCrash);
Result<std::string> ReadWholeFile(const std::string& path);
// Removes a directory tree; missing is fine.
void RemoveTree(const std::string& path);

}  // namespace drover::noded
