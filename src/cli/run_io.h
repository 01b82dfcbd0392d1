// srun's side of a step's I/O: one TLS 1.3 connection to the step daemon on each node of the
// step (certificate checked against the cluster CA and the node's name), an attach with the
// step's I/O key and the user's credential, then StepStream frames: task output to our
// stdout/stderr in whole lines (optionally labelled), our stdin to the tasks, signals to them.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "common/status.h"
#include "cli/line_buffer.h"
#include "drover/v1/drover.pb.h"

namespace asio::ssl {
class context;
}

namespace drover::cli {

struct StepIoOptions {
  std::string prog;             // "srun", for messages
  bool label = false;
  bool unbuffered = false;
  bool kill_on_bad_exit = false;
  bool forward_stdin = true;    // false with --input=none
  bool pty = false;
  bool quiet = false;
  uint32_t max_frame_bytes = 16u << 20;
};

// Runs the I/O of a created step until every node reports it done (or is lost). Returns srun's
// exit status: the highest task exit status, 128+N for a task killed by signal N, and at least
// 1 if a node's part of the step could not run. `credential` signs the attach body.
int RunStepIo(const v1::CreateStepResponse& step, std::shared_ptr<asio::ssl::context> tls,
              const v1::Credential& credential, const std::string& attach_body,
              const StepIoOptions& options);

// The attach body srun signs: Body{step_attach} serialized.
std::string StepAttachBody(const v1::CreateStepResponse& step);

}  // namespace drover::cli
