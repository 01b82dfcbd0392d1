// srun / drover run and salloc / drover alloc: the command line (CONTRACT.md §9.2), and the
// requests it turns into. Pure: the environment and working directory are parameters.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "drover/v1/drover.pb.h"

namespace drover::cli {

struct RunOptions {
  std::vector<std::string> command;  // argv of the tasks, as given
  uint32_t ntasks = 0, cpus_per_task = 0, ntasks_per_node = 0;
  std::string nodes;                 // "N" or "MIN-MAX"
  bool nodes_from_env = false;
  std::string nodelist, exclude, constraint, cpu_kind, partition, time, account, job_name, chdir;
  std::string mem, mem_per_cpu, comment;
  std::string input, output, error;  // -i / -o / -e
  std::string cpu_bind;
  bool exclusive = false, kill_on_bad_exit = false, label = false, unbuffered = false, pty = false;
  int warn_signal = 0;               // --signal: 0 = none
  uint32_t warn_time_s = 0;          // seconds before the time limit
  int verbose = 0;
  bool quiet = false;
  std::optional<std::string> config;
  std::optional<uint64_t> job_id;    // inside an allocation (SLURM_JOB_ID / --jobid)
  bool help = false;
  std::string help_text;
};

using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;

// `salloc`: the same options, but the command is optional (default: the user's shell) and
// stdio options make no sense. InvalidArgument with a message like srun's on a bad option.
Result<RunOptions> ParseRunOptions(const std::string& prog, const std::vector<std::string>& args,
                                   const EnvLookup& env, bool salloc = false);

// The step srun asks for. `environment`: srun's own, passed to every task.
Result<v1::StepSpec> BuildStepSpec(const RunOptions& o, const std::string& cwd,
                                   const std::vector<std::pair<std::string, std::string>>& environment);

// The allocation srun (outside a job) or salloc asks for.
Result<v1::JobSpec> BuildAllocationSpec(const RunOptions& o, const std::string& cwd,
                                        const std::string& submit_host, bool end_with_steps);

}  // namespace drover::cli
