#include "common/sd_notify.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <asio.hpp>
#include <cstddef>
#include <cstring>
#include <filesystem>
#include <string>

namespace drover {
namespace {

// A datagram socket standing in for systemd's notification socket.
class FakeManager {
 public:
  // `address` is a path, or "@name" for an abstract socket.
  explicit FakeManager(std::string address) : address_(std::move(address)) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, address_.data(), address_.size());
    socklen_t len = offsetof(sockaddr_un, sun_path) + address_.size();
    if (address_[0] == '@') {
      addr.sun_path[0] = '\0';
    } else {
      ::unlink(address_.c_str());
      ++len;
    }
    bound_ = ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), len) == 0;
    timeval tv{5, 0};  // a missing datagram fails the test instead of hanging it
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  ~FakeManager() {
    ::close(fd_);
    if (address_[0] == '/') ::unlink(address_.c_str());
  }
  bool bound() const { return bound_; }
  const std::string& address() const { return address_; }
  int fd() const { return fd_; }

  // Drops what has arrived and not been read (pings sent while the test looked elsewhere).
  void Drain() {
    char buf[4096];
    while (::recv(fd_, buf, sizeof buf, MSG_DONTWAIT) >= 0) {
    }
  }

  std::string Receive() {
    char buf[4096];
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    return n < 0 ? "<nothing>" : std::string(buf, static_cast<size_t>(n));
  }

 private:
  std::string address_;
  int fd_ = -1;
  bool bound_ = false;
};

std::string TempSocketPath(const char* tag) {
  return (std::filesystem::temp_directory_path() /
          ("drover-sdnotify-" + std::string(tag) + "-" + std::to_string(::getpid())))
      .string();
}

TEST(SdNotifyTest, SendsToAPathSocket) {
  FakeManager manager(TempSocketPath("path"));
  ASSERT_TRUE(manager.bound());
  ASSERT_TRUE(SdNotifyTo(manager.address(), "READY=1\nSTATUS=serving").ok());
  EXPECT_EQ(manager.Receive(), "READY=1\nSTATUS=serving");
}

TEST(SdNotifyTest, SendsToAnAbstractSocket) {
  FakeManager manager("@drover-sdnotify-test-" + std::to_string(::getpid()));
  ASSERT_TRUE(manager.bound());
  ASSERT_TRUE(SdNotifyTo(manager.address(), "WATCHDOG=1").ok());
  EXPECT_EQ(manager.Receive(), "WATCHDOG=1");
}

TEST(SdNotifyTest, UsesNotifySocketFromTheEnvironment) {
  FakeManager manager(TempSocketPath("env"));
  ASSERT_TRUE(manager.bound());
  ::setenv("NOTIFY_SOCKET", manager.address().c_str(), 1);
  EXPECT_TRUE(SdNotify("STOPPING=1").ok());
  ::unsetenv("NOTIFY_SOCKET");
  EXPECT_EQ(manager.Receive(), "STOPPING=1");
}

TEST(SdNotifyTest, WithoutNotifySocketNothingIsSentAndAllIsWell) {
  ::unsetenv("NOTIFY_SOCKET");
  EXPECT_TRUE(SdNotify("READY=1").ok());
  EXPECT_TRUE(SdNotifyTo("", "READY=1").ok());
}

TEST(SdNotifyTest, ReportsAnAbsentOrInvalidSocket) {
  Status missing = SdNotifyTo("/nonexistent/drover/notify", "READY=1");
  EXPECT_FALSE(missing.ok());
  EXPECT_NE(missing.message().find("/nonexistent/drover/notify"), std::string::npos);
  EXPECT_FALSE(SdNotifyTo("relative/path", "READY=1").ok());
  EXPECT_FALSE(SdNotifyTo("/" + std::string(200, 'x'), "READY=1").ok());
}

TEST(SdNotifyTest, ParsesTheWatchdogInterval) {
  EXPECT_EQ(ParseWatchdogInterval("30000000", nullptr, 42), std::chrono::seconds(30));
  EXPECT_EQ(ParseWatchdogInterval("30000000", "42", 42), std::chrono::seconds(30));
  EXPECT_EQ(ParseWatchdogInterval("30000000", "", 42), std::chrono::seconds(30));
  // Meant for another process (we inherited the environment): not ours to ping.
  EXPECT_EQ(ParseWatchdogInterval("30000000", "41", 42), std::nullopt);
  EXPECT_EQ(ParseWatchdogInterval(nullptr, nullptr, 42), std::nullopt);
  EXPECT_EQ(ParseWatchdogInterval("", nullptr, 42), std::nullopt);
  EXPECT_EQ(ParseWatchdogInterval("0", nullptr, 42), std::nullopt);
  EXPECT_EQ(ParseWatchdogInterval("-5", nullptr, 42), std::nullopt);
  EXPECT_EQ(ParseWatchdogInterval("12abc", nullptr, 42), std::nullopt);
  EXPECT_EQ(ParseWatchdogInterval("100", "4x", 42), std::nullopt);
}

TEST(SdNotifierTest, ReadyThenWatchdogPingsFromTheIoContextThenStopping) {
  FakeManager manager(TempSocketPath("notifier"));
  ASSERT_TRUE(manager.bound());
  ::setenv("NOTIFY_SOCKET", manager.address().c_str(), 1);
  ::setenv("WATCHDOG_USEC", "20000", 1);
  ::setenv("WATCHDOG_PID", std::to_string(::getpid()).c_str(), 1);
  asio::io_context io;
  SdNotifier notifier(io);
  ::unsetenv("NOTIFY_SOCKET");
  ::unsetenv("WATCHDOG_USEC");
  ::unsetenv("WATCHDOG_PID");

  notifier.Ready("serving on port 7817");
  EXPECT_EQ(manager.Receive(), "READY=1\nSTATUS=serving on port 7817");
  EXPECT_EQ(manager.Receive(), "WATCHDOG=1");  // the first ping goes out at once
  // Later pings come from the timer: run the loop until two more have arrived.
  int pings = 0;
  asio::posix::stream_descriptor sock(io, ::dup(manager.fd()));
  std::function<void()> wait_one = [&] {
    sock.async_wait(asio::posix::stream_descriptor::wait_read, [&](const asio::error_code& ec) {
      if (ec) return;
      if (manager.Receive() == "WATCHDOG=1") ++pings;
      if (pings < 2) {
        wait_one();
      } else {
        io.stop();
      }
    });
  };
  wait_one();
  io.run_for(std::chrono::seconds(10));
  EXPECT_EQ(pings, 2);

  manager.Drain();
  notifier.Reloading();
  const std::string reloading = manager.Receive();
  EXPECT_EQ(reloading.rfind("RELOADING=1\nMONOTONIC_USEC=", 0), 0u) << reloading;
  EXPECT_NE(reloading.find("\nSTATUS=reloading"), std::string::npos) << reloading;
  notifier.Reloaded("serving again");
  EXPECT_EQ(manager.Receive(), "READY=1\nSTATUS=serving again");
  notifier.SetStatus("3 nodes up");
  EXPECT_EQ(manager.Receive(), "STATUS=3 nodes up");
  notifier.Stopping();
  EXPECT_EQ(manager.Receive(), "STOPPING=1\nSTATUS=stopping");
}

TEST(SdNotifierTest, OutsideSystemdEveryCallIsHarmless) {
  ::unsetenv("NOTIFY_SOCKET");
  ::setenv("WATCHDOG_USEC", "20000", 1);
  asio::io_context io;
  SdNotifier notifier(io);
  ::unsetenv("WATCHDOG_USEC");
  notifier.Ready("serving");
  notifier.Stopping();
  // No socket: no watchdog timer was armed, so the loop has nothing to do.
  EXPECT_EQ(io.run_for(std::chrono::milliseconds(50)), 0u);
}

}  // namespace
}  // namespace drover
