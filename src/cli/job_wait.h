// sbatch --wait and drover submit --wait: poll the job until it ends.
#pragma once

#include <cstdint>
#include <string>

#include "cli/client.h"

namespace drover::cli {

// Waits for job `id` to end and returns the exit status for it. Native commands show the
// job's progress on stderr (one updating line on a terminal, else a line per change) and
// return JobExitCode(); sbatch prints nothing and returns the job's exit code (1 when it has
// none but did not complete), as Slurm's does. Ctrl-C stops the wait, not the job (130).
int WaitForJob(ControllerClient& client, const std::string& prog, uint64_t id);

}  // namespace drover::cli
