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
  // May refuse (an error): the reload then changes nothing and Reload returns that error.
  using Apply = std::function<Status(const Config& config, KeyRing keys)>;
  // Told when a reload begins and how it ended, e.g. to send RELOADING=1 and READY=1 to
  // systemd: a service manager must see the daemon ready again even after a refused reload.
  struct Observer {
    std::function<void()> begin;
    std::function<void(const Status& result)> end;
  };

  // `apply` runs on the io_context's thread after each SIGHUP whose reload succeeded.
  ReloadOnSignal(asio::io_context& io, std::string config_path, Apply apply,
                 Observer observer = {});
  ~ReloadOnSignal();

  // What a SIGHUP does, callable directly (tests, `scontrol reconfigure`).
  Status Reload();

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace drover
