#include "common/sd_notify.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <cstddef>
#include <cstring>
#include <spdlog/spdlog.h>
#include <time.h>

namespace drover {

Status SdNotifyTo(const std::string& address, std::string_view state) {
  if (address.empty()) return Status::Ok();
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  // An abstract name has no terminating NUL: its length is part of the name.
  if (address.size() >= sizeof(addr.sun_path) || (address[0] != '/' && address[0] != '@')) {
    return Status::InvalidArgument("NOTIFY_SOCKET " + address +
                                   " is neither an absolute path nor an abstract name (@...)");
  }
  std::memcpy(addr.sun_path, address.data(), address.size());
  if (address[0] == '@') addr.sun_path[0] = '\0';
  const socklen_t len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + address.size() +
                                               (address[0] == '@' ? 0 : 1));

  const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status::IoError(std::string("cannot create a notify socket: ") + std::strerror(errno));
  const ssize_t n = ::sendto(fd, state.data(), state.size(), MSG_NOSIGNAL,
                             reinterpret_cast<const sockaddr*>(&addr), len);
  const int err = errno;
  ::close(fd);
  if (n < 0) {
    return Status::IoError("cannot notify the service manager at " + address + ": " + std::strerror(err));
  }
  return Status::Ok();
}

Status SdNotify(std::string_view state) {
  const char* socket = ::getenv("NOTIFY_SOCKET");
  return SdNotifyTo(socket ? socket : "", state);
}

std::optional<std::chrono::microseconds> ParseWatchdogInterval(const char* watchdog_usec,
                                                               const char* watchdog_pid,
                                                               pid_t self) {
  if (!watchdog_usec || !*watchdog_usec) return std::nullopt;
  if (watchdog_pid && *watchdog_pid) {
    char* end = nullptr;
    errno = 0;
    const long long pid = std::strtoll(watchdog_pid, &end, 10);
    if (errno != 0 || *end != '\0' || pid != self) return std::nullopt;
  }
  char* end = nullptr;
  errno = 0;
  const unsigned long long usec = std::strtoull(watchdog_usec, &end, 10);
  if (errno != 0 || *end != '\0' || usec == 0 || watchdog_usec[0] == '-') return std::nullopt;
  return std::chrono::microseconds(usec);
}

struct SdNotifier::Impl : std::enable_shared_from_this<SdNotifier::Impl> {
  explicit Impl(asio::io_context& io) : timer(io) {
    // Read once: the daemon's environment does not change, and children must not matter.
    if (const char* s = ::getenv("NOTIFY_SOCKET")) address = s;
    interval = ParseWatchdogInterval(::getenv("WATCHDOG_USEC"), ::getenv("WATCHDOG_PID"), ::getpid());
  }

  void Send(std::string_view state) {
    if (address.empty()) return;
    Status s = SdNotifyTo(address, state);
    if (!s.ok() && !warned) {
      warned = true;
      spdlog::warn("{}", s.message());
    }
  }

  void Ping() {
    Send("WATCHDOG=1");
    // Half the interval, as systemd recommends: one late tick does not trip the watchdog.
    timer.expires_after(*interval / 2);
    timer.async_wait([weak = weak_from_this()](const asio::error_code& ec) {
      if (ec) return;
      if (auto self = weak.lock()) self->Ping();
    });
  }

  asio::steady_timer timer;
  std::string address;
  std::optional<std::chrono::microseconds> interval;
  bool warned = false;
  bool watching = false;
};

SdNotifier::SdNotifier(asio::io_context& io) : impl_(std::make_shared<Impl>(io)) {}

SdNotifier::~SdNotifier() { impl_->timer.cancel(); }

void SdNotifier::Ready(std::string_view status) {
  impl_->Send("READY=1\nSTATUS=" + std::string(status));
  if (impl_->interval && !impl_->address.empty() && !impl_->watching) {
    impl_->watching = true;
    spdlog::info("systemd watchdog: pinging every {} ms", (impl_->interval->count() / 2) / 1000);
    impl_->Ping();
  }
}

void SdNotifier::SetStatus(std::string_view status) { impl_->Send("STATUS=" + std::string(status)); }

void SdNotifier::Reloading() {
  // MONOTONIC_USEC is what Type=notify-reload (systemd 253+) needs to match the reload to
  // its SIGHUP; older managers ignore it.
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  const long long usec = static_cast<long long>(now.tv_sec) * 1000000 + now.tv_nsec / 1000;
  impl_->Send("RELOADING=1\nMONOTONIC_USEC=" + std::to_string(usec) + "\nSTATUS=reloading");
}

void SdNotifier::Reloaded(std::string_view status) {
  impl_->Send("READY=1\nSTATUS=" + std::string(status));
}

void SdNotifier::Stopping() {
  impl_->timer.cancel();
  impl_->Send("STOPPING=1\nSTATUS=stopping");
}

}  // namespace drover
