// SIGHUP handling shared by both daemons: re-read the configuration file and the cluster keys
// it names, and hand them to the daemon only if both load. A bad edit is logged and changes
// nothing, so a typo during a key rotation never leaves a daemon without keys.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "common/config.h"
#include "common/key_ring.h"

namespace asio {
class io_context;
}

namespace drover {

class ReloadOnSignal {
 public:
  using Apply = std::function<void(const Config& config, KeyRing keys)>;

  // `apply` runs on the io_context's thread after each SIGHUP whose reload succeeded.
  ReloadOnSignal(asio::io_context& io, std::string config_path, Apply apply);
  ~ReloadOnSignal();

  // What a SIGHUP does, callable directly (tests, `scontrol reconfigure`).
  Status Reload();

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace drover
