// Prolog and epilog: scripts the administrator configures, run as root on the job's node with
// the job's SLURM_* variables (Slurm's Prolog/Epilog of slurmd).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"

namespace drover::noded {

// Runs `path` and waits at most `timeout_s`; on timeout its whole process group is killed.
// Ok only for exit status 0; otherwise the error says what happened ("prolog /x exited with
// status 3", "... timed out after 5 s"). Its output goes to the caller's stdout/stderr.
// `envp` is its whole environment ("NAME=value"; AdminScriptEnvp in batch_plan.h).
Status RunAdminScript(const std::string& what, const std::string& path, const std::vector<std::string>& envp,
                      uint32_t timeout_s);

}  // namespace drover::noded
