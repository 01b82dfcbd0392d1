// Prolog and epilog: scripts the administrator configures, run as root on the job's node with
// the job's SLURM_* variables (Slurm's Prolog/Epilog of slurmd).
#pragma once

#include <cstdint>
#include <string>

#include "common/status.h"
#include "noded/batch_env.h"

namespace drover::noded {

// The environment an admin script gets: a fixed PATH, SLURM_SCRIPT_CONTEXT (prolog_slurmd or
// epilog_slurmd) and the job's SLURM_*/DROVER_* variables, not the user's own environment.
Environment AdminScriptEnvironment(const Environment& job_env, const std::string& context);

// Runs `path` and waits at most `timeout_s`; on timeout its whole process group is killed.
// Ok only for exit status 0; otherwise the error says what happened ("prolog /x exited with
// status 3", "... timed out after 5 s"). Its output goes to the caller's stdout/stderr.
Status RunAdminScript(const std::string& what, const std::string& path, const Environment& env, uint32_t timeout_s);

}  // namespace drover::noded
