// drover-stepd: the supervisor of one job step and node (--step, srun; step_supervisor.h), and
// of one batch job when started by hand with a job directory (spool.h). drover-noded runs the
// batch supervisor in a fork of itself instead (batch_supervisor.h): the same code, without an
// exec and the loading of this binary's libraries for every job.
#include <signal.h>

#include <iostream>
#include <string>
#include <vector>

#include "drover/v1/drover.pb.h"
#include "noded/batch_supervisor.h"
#include "noded/spool.h"
#include "noded/stepd_options.h"
#include "noded/step_supervisor.h"

int main(int argc, char** argv) {
  // SIGHUP from noded means "re-read your time limit"; until the handler (or mask) is in
  // place it must not end the supervisor.
  signal(SIGHUP, SIG_IGN);
  // One stepd per job step and node (srun); see step_supervisor.h.
  if (argc > 1 && std::string(argv[1]) == "--step") return drover::noded::RunStepMode(argc, argv);
  auto parsed = drover::noded::ParseStepdArgs(std::vector<std::string>(argv + 1, argv + argc));
  if (!parsed.ok()) {
    std::cerr << "drover-stepd: " << parsed.status().message()
              << "\nusage: drover-stepd --node NAME --spool DIR [--kill-wait SECONDS] [cgroup, prolog options] JOBDIR\n"
                 "  (started by drover-noded; not meant to be run by hand)\n";
    return 2;
  }
  const drover::noded::StepdOptions& opt = *parsed;
  auto data = drover::noded::ReadWholeFile(opt.job_dir + "/launch.pb");
  drover::v1::LaunchJobRequest launch;
  if (!data.ok() || !launch.ParseFromString(*data)) {
    std::cerr << "drover-stepd: cannot read " << opt.job_dir << "/launch.pb\n";
    return 1;
  }
  return drover::noded::SuperviseBatchJob(opt, launch);
}
