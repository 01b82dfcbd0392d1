// The environment of one task of a job step (CONTRACT.md §8.10, "each srun task"): srun's
// environment, the job's SLURM_* variables, then the step's and the task's own, each SLURM_*
// with a DROVER_* twin. SLURM_TASK_PID is added by the task itself (its pid is known only
// after fork). Pure.
#pragma once

#include <cstdint>
#include <string>

#include "drover/v1/drover.pb.h"
#include "noded/batch_env.h"

namespace drover::noded {

Environment BuildStepEnvironment(const v1::LaunchStepRequest& launch, const std::string& node,
                                 uint32_t task_id);

}  // namespace drover::noded
