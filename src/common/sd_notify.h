// The service manager's notification protocol (sd_notify), without libsystemd.
//
// Under systemd with Type=notify, $NOTIFY_SOCKET names a datagram Unix socket (a path, or an
// abstract name written with a leading '@'); a daemon sends newline-separated assignments to
// it: READY=1 once it serves, STATUS=<text> for `systemctl status`, WATCHDOG=1 as a keep-alive
// when $WATCHDOG_USEC asks for one, RELOADING=1 / STOPPING=1 around a reload or a stop.
// Outside systemd the variable is unset and every call here does nothing, so the daemons run
// the same in the foreground.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"

namespace asio {
class io_context;
}

namespace drover {

// Sends `state` to the socket `address` ("/path" or "@abstract"). An empty address sends
// nothing and is Ok.
Status SdNotifyTo(const std::string& address, std::string_view state);

// Sends `state` to $NOTIFY_SOCKET; Ok and nothing sent when the variable is unset.
Status SdNotify(std::string_view state);

// The keep-alive interval asked for by WATCHDOG_USEC, if any. WATCHDOG_PID, when set, names the
// process the watchdog is meant for: any other process (a child that inherited the
// environment) gets nullopt. Invalid or zero values give nullopt. Pure: tests call it directly.
std::optional<std::chrono::microseconds> ParseWatchdogInterval(const char* watchdog_usec,
                                                               const char* watchdog_pid,
                                                               pid_t self);

// A daemon's side of the protocol: Ready() once it serves (sends READY=1 and the status, and
// starts sending WATCHDOG=1 every half interval from the io_context when the unit has
// WatchdogSec=); Reloading()/Reloaded() around a reload; Stopping() when it begins to stop.
// Failures to send are logged once and otherwise ignored: losing the service manager must not
// take the daemon down.
class SdNotifier {
 public:
  explicit SdNotifier(asio::io_context& io);
  ~SdNotifier();
  SdNotifier(const SdNotifier&) = delete;
  SdNotifier& operator=(const SdNotifier&) = delete;

  void Ready(std::string_view status);
  void SetStatus(std::string_view status);
  void Reloading();
  void Reloaded(std::string_view status);
  void Stopping();

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace drover
