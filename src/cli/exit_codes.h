// The exit statuses of the native `drover` commands, one table for all of them
// (docs/user-guide.md, "Exit codes"). The Slurm front ends keep Slurm's 0/1.
#pragma once

#include <string>

#include "common/status.h"
#include "drover/v1/drover.pb.h"

namespace drover::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;        // the controller refused the request, or it failed
inline constexpr int kExitUsage = 2;         // bad command line: unknown option, invalid value
inline constexpr int kExitNotRunning = 3;    // drover local status: no daemon of the cluster runs
inline constexpr int kExitDenied = 4;        // authentication failed or not allowed
inline constexpr int kExitNotFound = 5;      // no such job, node or partition
inline constexpr int kExitUnavailable = 6;   // the controller cannot be reached
// submit --wait: a job that did not end by itself.
inline constexpr int kExitJobCancelled = 121;
inline constexpr int kExitJobNodeFail = 122;
inline constexpr int kExitJobOutOfMemory = 123;
inline constexpr int kExitJobTimeout = 124;  // as timeout(1)
inline constexpr int kExitInterrupted = 130; // Ctrl-C while waiting (128 + SIGINT)

// The exit status for an error: usage (invalid argument), denied, not found, unavailable, or
// failed for anything else.
int ExitCodeFor(const Status& status);

// Whether `prog` is a native command ("drover submit") rather than a Slurm front end
// ("sbatch"), whose exit statuses stay Slurm's.
bool IsNative(const std::string& prog);

// The status for a bad command line: kExitUsage for native commands, Slurm's 1 otherwise.
inline int UsageExit(const std::string& prog) { return IsNative(prog) ? kExitUsage : 1; }

// The status for one failed item of a reply (a job of `control hold 5 6`): native commands
// 5 not found, 4 denied, else 1; the Slurm front ends 1.
int ItemExitCode(const std::string& prog, v1::ErrorCode code);

// submit --wait: the status a finished job gives: COMPLETED 0; FAILED its exit code (128+N
// when killed by signal N, at least 1); CANCELLED, NODE_FAIL, OUT_OF_MEMORY, TIMEOUT the
// codes above.
int JobExitCode(const v1::JobInfo& job);

}  // namespace drover::cli
