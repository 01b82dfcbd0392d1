#include "cli/terminal.h"

#include <signal.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>

namespace drover::cli {
namespace {

volatile sig_atomic_t g_interrupted = 0;

void OnInterrupt(int) { g_interrupted = 1; }

}  // namespace

bool IsTerminal(int fd) { return isatty(fd) == 1; }

size_t ChooseWidth(bool is_terminal, size_t ioctl_columns, const char* columns_env) {
  if (!is_terminal) return 0;
  if (ioctl_columns > 0) return ioctl_columns;
  if (columns_env != nullptr && *columns_env != '\0') {
    char* end = nullptr;
    const long n = std::strtol(columns_env, &end, 10);
    if (end != nullptr && *end == '\0' && n > 0 && n < 100000) return static_cast<size_t>(n);
  }
  return 80;
}

size_t OutputWidth(int fd) {
  const bool tty = IsTerminal(fd);
  struct winsize ws = {};
  const size_t cols = tty && ioctl(fd, TIOCGWINSZ, &ws) == 0 ? ws.ws_col : 0;
  return ChooseWidth(tty, cols, getenv("COLUMNS"));
}

void CatchInterrupts() {
  struct sigaction sa = {};
  sa.sa_handler = OnInterrupt;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

bool Interrupted() { return g_interrupted != 0; }

bool SleepUnlessInterrupted(double seconds) {
  // Short naps, so Ctrl-C ends the wait at once whatever the signal interrupted.
  using Clock = std::chrono::steady_clock;
  const Clock::time_point end =
      Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  while (!Interrupted()) {
    const Clock::time_point now = Clock::now();
    if (now >= end) return true;
    const Clock::duration left = end - now;
    const Clock::duration nap = std::chrono::milliseconds(50);
    std::this_thread::sleep_for(std::min(left, nap));
  }
  return false;
}

}  // namespace drover::cli
