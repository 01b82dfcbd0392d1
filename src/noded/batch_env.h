// The environment of a batch script (CONTRACT.md §8.10): the submitter's exported variables,
// then the SLURM_* variables real Slurm sets, each with a DROVER_* twin. Pure.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "drover/v1/drover.pb.h"

namespace drover::noded {

using Environment = std::vector<std::pair<std::string, std::string>>;

// `node` is the node the script runs on (the first of the allocation).
Environment BuildBatchEnvironment(const v1::LaunchJobRequest& launch, const std::string& node);

// "NAME=value" strings for execve, later entries overriding earlier ones of the same name.
std::vector<std::string> ToEnvp(const Environment& env);

}  // namespace drover::noded
