// Clock: the one seam through which drover reads time.
//
// Monotonic time drives deadlines, heartbeats and timeouts; system (wall) time is for display,
// accounting and credentials that cross hosts. Pure code never holds a Clock: it is handed `now`.
// RealClock is thread-safe; FakeClock is for single-threaded tests.
#pragma once

#include <chrono>
#include <cstdint>

namespace drover {

using MonotonicTime = std::chrono::steady_clock::time_point;
using SystemTime = std::chrono::system_clock::time_point;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual MonotonicTime MonotonicNow() const = 0;
  virtual SystemTime SystemNow() const = 0;
};

class RealClock final : public Clock {
 public:
  MonotonicTime MonotonicNow() const override { return std::chrono::steady_clock::now(); }
  SystemTime SystemNow() const override { return std::chrono::system_clock::now(); }
};

class FakeClock final : public Clock {
 public:
  explicit FakeClock(SystemTime start = SystemTime(std::chrono::seconds(1'700'000'000)))
      : system_(start) {}
  MonotonicTime MonotonicNow() const override { return mono_; }
  SystemTime SystemNow() const override { return system_; }
  void Advance(std::chrono::nanoseconds d) {
    mono_ += d;
    system_ += d;
  }
  // Moves only the wall clock, as an NTP step or a skewed host would.
  void StepSystem(std::chrono::nanoseconds d) { system_ += d; }

 private:
  MonotonicTime mono_{};
  SystemTime system_;
};

inline int64_t ToUnixMillis(SystemTime t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}
inline int64_t ToUnixSeconds(SystemTime t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

}  // namespace drover
