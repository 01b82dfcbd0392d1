#include "cli/exit_codes.h"

namespace drover::cli {

int ExitCodeFor(const Status& status) {
  switch (status.code()) {
    case StatusCode::kOk: return kExitOk;
    case StatusCode::kInvalidArgument: return kExitUsage;
    case StatusCode::kPermissionDenied:
    case StatusCode::kUnauthenticated: return kExitDenied;
    case StatusCode::kNotFound: return kExitNotFound;
    case StatusCode::kUnavailable:
    case StatusCode::kTimeout: return kExitUnavailable;
    default: return kExitFailed;
  }
}

bool IsNative(const std::string& prog) { return prog.rfind("drover", 0) == 0; }

int ItemExitCode(const std::string& prog, v1::ErrorCode code) {
  if (!IsNative(prog)) return kExitFailed;
  switch (code) {
    case v1::ERROR_CODE_NOT_FOUND: return kExitNotFound;
    case v1::ERROR_CODE_PERMISSION_DENIED:
    case v1::ERROR_CODE_UNAUTHENTICATED: return kExitDenied;
    default: return kExitFailed;
  }
}

int JobExitCode(const v1::JobInfo& job) {
  switch (job.state()) {
    case v1::JOB_STATE_COMPLETED: return kExitOk;
    case v1::JOB_STATE_CANCELLED: return kExitJobCancelled;
    case v1::JOB_STATE_NODE_FAIL: return kExitJobNodeFail;
    case v1::JOB_STATE_OUT_OF_MEMORY: return kExitJobOutOfMemory;
    case v1::JOB_STATE_TIMEOUT: return kExitJobTimeout;
    default:
      if (job.exit_signal() > 0) return 128 + (job.exit_signal() & 0x7f);
      return job.exit_code() > 0 && job.exit_code() < 256 ? job.exit_code() : kExitFailed;
  }
}

}  // namespace drover::cli
