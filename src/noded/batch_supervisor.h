// The supervisor of one batch job on its node: runs the script as the job's user in the job's
// cgroup, enforces the time limit, turns SIGTERM (cancel) into the end of every process the job
// started, and leaves the outcome in <jobdir>/result (spool.h). It runs in a process of its own
// in a session of its own (a fork of drover-noded, or drover-stepd), so noded may die and
// restart meanwhile and find the result, or the still-running supervisor, in the spool.
#pragma once

#include <string>
#include <vector>

#include "noded/batch_plan.h"
#include "noded/stepd_options.h"

namespace drover::noded {

// The whole supervision; returns the process exit status. Blocks SIGTERM, SIGINT, SIGCHLD and
// SIGHUP and waits for them itself; expects their dispositions at the default.
int SuperviseBatchJob(const StepdOptions& opt, const BatchPlan& plan);

// The same from drover-stepd's command line (StepdOptions::ToArgs, the job directory last),
// with the plan read from <jobdir>/plan (written by noded, batch_plan.h): what drover-stepd runs when started by hand and
// what noded's supervisor zygote runs in each child (supervisor_zygote.h).
int SuperviseBatchJobFromArgs(const std::vector<std::string>& args);

}  // namespace drover::noded
