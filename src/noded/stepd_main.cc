// drover-stepd: the supervisor of one job step and node (--step, srun; step_supervisor.h), and
// of one batch job when started by hand with a job directory (spool.h). drover-noded runs the
// batch supervisor in a fork of its supervisor zygote instead (supervisor_zygote.h): the same
// code, without an exec and the loading of this binary's libraries for every job.
#include <signal.h>

#include <iostream>
#include <string>
#include <vector>

#include "noded/batch_supervisor.h"
#include "noded/step_supervisor.h"

int main(int argc, char** argv) {
  // SIGHUP from noded means "re-read your time limit"; until the handler (or mask) is in
  // place it must not end the supervisor.
  signal(SIGHUP, SIG_IGN);
  // One stepd per job step and node (srun); see step_supervisor.h.
  if (argc > 1 && std::string(argv[1]) == "--step") return drover::noded::RunStepMode(argc, argv);
  return drover::noded::SuperviseBatchJobFromArgs(std::vector<std::string>(argv + 1, argv + argc));
}
