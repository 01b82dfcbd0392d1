#include "cli/time_text.h"

#include <ctime>

namespace drover::cli {

std::string FormatLocalTime(int64_t unix_seconds, const char* format) {
  const time_t t = static_cast<time_t>(unix_seconds);
  struct tm tm;
  localtime_r(&t, &tm);
  char buf[64];
  const size_t n = strftime(buf, sizeof buf, format, &tm);
  return std::string(buf, n);
}

std::string FormatTimestamp(int64_t unix_seconds) {
  return unix_seconds == 0 ? "N/A" : FormatLocalTime(unix_seconds, "%Y-%m-%dT%H:%M:%S");
}

std::string FormatClock(int64_t unix_seconds) {
  return unix_seconds == 0 ? "?" : FormatLocalTime(unix_seconds, "%H:%M:%S");
}

}  // namespace drover::cli
