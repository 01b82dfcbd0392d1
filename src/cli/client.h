// ControllerClient: how every CLI command talks to drover-ctld.
//
// It loads the configuration, verifies the controller's certificate against the cluster CA,
// and signs each request with a credential from the local auth socket: the CLI never states
// a uid of its own. Not thread-safe; one per command invocation.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include <google/protobuf/arena.h>

#include "common/config.h"
#include "common/rpc.h"
#include "common/status.h"
#include "drover/v1/drover.pb.h"

namespace drover::cli {

class ControllerClient {
 public:
  // Loads the config from --config / $DROVER_CONF / /etc/drover/drover.yaml.
  static Result<std::unique_ptr<ControllerClient>> Connect(const std::optional<std::string>& config_flag);

  // Sends `body`, returns the response body; an Error reply becomes the Status.
  Result<v1::Body> Call(const v1::Body& body);
  // As Call, with the response parsed onto `arena`, which owns it: for replies of many
  // messages (squeue over 100,000 jobs), allocated in blocks and never freed one by one.
  Result<v1::Body*> Call(const v1::Body& body, google::protobuf::Arena* arena);

  const Config& config() const { return config_; }

 private:
  Result<v1::Envelope> Send(const v1::Body& body);
  ControllerClient(Config config, std::unique_ptr<BlockingRpcClient> rpc)
      : config_(std::move(config)), rpc_(std::move(rpc)) {}
  Config config_;
  std::unique_ptr<BlockingRpcClient> rpc_;
};

// Prints "<prog>: error: <message>" on stderr and returns the exit code for it: 1 for the
// Slurm front ends, ExitCodeFor(status) for the native commands (cli/exit_codes.h).
int ReportError(const std::string& prog, const Status& status);

}  // namespace drover::cli
