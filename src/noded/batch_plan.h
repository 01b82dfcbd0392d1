// Everything a batch job's supervisor needs, worked out by noded (which has the protobuf
// launch) and written to <jobdir>/plan, so that the supervisor itself never decodes protobuf or
// builds an environment: it reads one flat file (bench/README.md, "A small supervisor").
//
// The format is text records `KEY LENGTH:BYTES\n`, the first `drover-batch-plan 1`; lists are
// repeated keys in order. Values are bytes (a newline or NUL in an environment value is fine).
// Unknown keys are skipped, so a newer noded may add some. Pure.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace drover::noded {

struct BatchPlan {
  uint64_t job_id = 0;
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::vector<uint32_t> groups;  // supplementary groups of the job's user
  std::string user;
  std::string work_dir;
  // Output and error files with their patterns expanded: in work_dir, and the fallback in /tmp
  // when work_dir cannot be entered.
  std::string out_path, err_path;
  std::string tmp_out_path, tmp_err_path;
  std::string script;             // the script's path (argv[0])
  std::vector<std::string> args;  // argv, argv[0] included
  std::vector<std::string> env;   // "NAME=value", the task's whole environment
  std::vector<uint32_t> cpus;     // the cores of this node's allocation (cpuset)
  uint64_t memory_bytes = 0;      // this node's memory limit; 0 = none
  uint32_t time_limit_minutes = 0;  // 0 = none

  bool operator==(const BatchPlan&) const = default;
};

std::string EncodeBatchPlan(const BatchPlan& plan);
// Every malformed input (truncated, garbage, a number out of range, a missing header or job id)
// is an error value.
Result<BatchPlan> DecodeBatchPlan(std::string_view bytes);

// The prolog's and epilog's environment from the task's (BatchPlan::env): a fixed PATH,
// SLURM_SCRIPT_CONTEXT=`context` and the job's SLURM_* and DROVER_* variables.
std::vector<std::string> AdminScriptEnvp(const std::vector<std::string>& task_env, const std::string& context);

}  // namespace drover::noded
