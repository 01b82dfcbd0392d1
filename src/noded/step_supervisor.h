// drover-stepd in step mode (`drover-stepd --step ...`): runs this node's tasks of one job step
// and carries their I/O to and from srun.
//
// noded hands over a step directory (<spool>/steps/<job>.<step>/launch.pb) and a listening
// TCP socket (--listen-fd). srun connects over TLS 1.3 (this node's host certificate) and
// attaches with the step's I/O key and a credential of the job's user; only then are the tasks
// started. Output, stdin, signals and exits then flow as StepStream frames. If srun's
// connection drops the tasks are killed; the outcome is left in <stepdir>/result like a batch
// job's, so noded can report it even after a restart.
#pragma once

namespace drover::noded {

// The whole of step mode; returns the process exit status.
int RunStepMode(int argc, char** argv);

}  // namespace drover::noded
